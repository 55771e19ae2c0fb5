/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* Build helper: turn a text file into a C array definition.
 * usage: embed SYMBOL INPUT OUTPUT */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s SYMBOL INPUT OUTPUT\n", argv[0]);
		return 2;
	}
	FILE *in = fopen(argv[2], "rb");
	if (!in) {
		perror(argv[2]);
		return 1;
	}
	FILE *out = fopen(argv[3], "w");
	if (!out) {
		perror(argv[3]);
		fclose(in);
		return 1;
	}
	fprintf(out, "/* generated from %s by tools/embed.c; do not edit */\n", argv[2]);
	fprintf(out, "const char %s[] = {\n", argv[1]);
	int ch, n = 0;
	while ((ch = fgetc(in)) != EOF)
		fprintf(out, "0x%02x,%s", ch, (++n % 16) ? "" : "\n");
	fprintf(out, "0x00\n};\n");
	int rc = ferror(in) || fclose(out) != 0;
	fclose(in);
	return rc;
}
