/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Schema of the "aaa" section: RADIUS servers and server groups, and the method lists that
 * IKEv2 profiles name (Cisco `aaa authentication eap LIST`, `aaa authorization ... list
 * LIST`, `aaa accounting ... LIST`). Cross-references (a group naming an unknown server, a
 * method naming an unknown group) are checked by controlplane/aaa/aaa_conf.c, which also
 * turns the settings into struct radius_group_cfg. See docs/aaa.md.
 */
#include <stddef.h>

#include "common/cfg.h"

static const char *const list_types_authen[] = { "eap", "login", NULL };
static const char *const list_types_author[] = { "network", NULL };
static const char *const list_types_acct[] = { "network", NULL };
static const char *const acct_modes[] = { "start-stop", "stop-only", NULL };

static const struct rp_cfg_schema radius_server_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 31,
	  .help = "name of the server (Cisco: radius server NAME)" },
	{ .name = "address", .kind = RP_CFG_STRING, .required = true, .min = 2, .max = 45,
	  .help = "IPv4 or IPv6 address of the server" },
	{ .name = "auth_port", .kind = RP_CFG_INT, .min = 0, .max = 65535,
	  .help = "authentication port (default 1812; 0 = no authentication here)" },
	{ .name = "acct_port", .kind = RP_CFG_INT, .min = 0, .max = 65535,
	  .help = "accounting port (default 1813; 0 = no accounting here)" },
	{ .name = "key", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 128,
	  .help = "shared secret" },
	{ .name = "timeout_ms", .kind = RP_CFG_INT, .min = 10, .max = 60000,
	  .help = "first wait for an answer, doubled at each retransmission (default 5000)" },
	{ .name = "retransmit", .kind = RP_CFG_INT, .min = 0, .max = 100,
	  .help = "retransmissions before failing over to the next server (default 3)" },
	{ 0 }
};

static const struct rp_cfg_schema radius_group_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 31,
	  .help = "name of the group (Cisco: aaa group server radius NAME)" },
	{ .name = "servers", .kind = RP_CFG_STRINGS, .required = true, .min = 1, .max = 31,
	  .help = "server names, in order of preference (at most 8)" },
	{ .name = "source", .kind = RP_CFG_STRING, .min = 2, .max = 45,
	  .help = "source address of the requests (default: chosen by routing)" },
	{ .name = "dead_tries", .kind = RP_CFG_INT, .min = 0, .max = 100,
	  .help = "unanswered requests in a row that mark a server dead (default 3; 0 = never)" },
	{ .name = "dead_time", .kind = RP_CFG_INT, .min = 1, .max = 86400,
	  .help = "seconds a dead server is skipped (default 60)" },
	{ .name = "require_message_authenticator", .kind = RP_CFG_BOOL,
	  .help = "refuse Access-Accept/Reject/Challenge without Message-Authenticator "
		  "(default true: Blast-RADIUS, CVE-2024-3596)" },
	{ 0 }
};

static const struct rp_cfg_schema radius_schema[] = {
	{ .name = "servers", .kind = RP_CFG_LIST, .max = 64, .children = radius_server_schema,
	  .help = "RADIUS servers" },
	{ .name = "groups", .kind = RP_CFG_LIST, .max = 64, .children = radius_group_schema,
	  .help = "RADIUS server groups, named by method lists" },
	{ 0 }
};

static const struct rp_cfg_schema authen_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 31,
	  .help = "list name, as IKEv2 profiles refer to it" },
	{ .name = "type", .kind = RP_CFG_STRING, .required = true, .choices = list_types_authen,
	  .help = "eap (EAP passthrough) or login (PAP: XAUTH, AnyConnect password)" },
	{ .name = "methods", .kind = RP_CFG_STRINGS, .required = true, .min = 1, .max = 40,
	  .help = "in order: \"group NAME\" (a RADIUS group) or \"local\"" },
	{ 0 }
};

static const struct rp_cfg_schema author_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 31,
	  .help = "list name" },
	{ .name = "type", .kind = RP_CFG_STRING, .required = true, .choices = list_types_author,
	  .help = "network" },
	{ .name = "methods", .kind = RP_CFG_STRINGS, .required = true, .min = 1, .max = 40,
	  .help = "in order: \"group NAME\" or \"local\"" },
	{ 0 }
};

static const struct rp_cfg_schema acct_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 31,
	  .help = "list name" },
	{ .name = "type", .kind = RP_CFG_STRING, .required = true, .choices = list_types_acct,
	  .help = "network" },
	{ .name = "mode", .kind = RP_CFG_STRING, .choices = acct_modes,
	  .help = "start-stop (default) or stop-only" },
	{ .name = "methods", .kind = RP_CFG_STRINGS, .required = true, .min = 1, .max = 40,
	  .help = "in order: \"group NAME\"" },
	{ .name = "interim_interval", .kind = RP_CFG_INT, .min = 0, .max = 604800,
	  .help = "seconds between Interim-Updates (aaa accounting update periodic; 0 = none, "
		  "the default)" },
	{ 0 }
};

static const struct rp_cfg_schema acct_queue_schema[] = {
	{ .name = "size", .kind = RP_CFG_INT, .min = 1, .max = 65536,
	  .help = "accounting records kept until the server answers (default 1024)" },
	{ .name = "retry_max", .kind = RP_CFG_INT, .min = 1, .max = 3600,
	  .help = "longest wait in s between rounds of a record no group answered (default 60; "
		  "the first wait is 1 s, doubled each round)" },
	{ 0 }
};

static const struct rp_cfg_schema dae_client_schema[] = {
	{ .name = "address", .kind = RP_CFG_STRING, .required = true, .min = 2, .max = 45,
	  .help = "address requests come from (client ADDRESS)" },
	{ .name = "key", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 128,
	  .help = "shared secret (server-key)" },
	{ 0 }
};

static const struct rp_cfg_schema dae_schema[] = {
	{ .name = "address", .kind = RP_CFG_STRING, .min = 2, .max = 45,
	  .help = "address to listen on (default 0.0.0.0)" },
	{ .name = "port", .kind = RP_CFG_INT, .min = 1, .max = 65535,
	  .help = "UDP port (default 3799)" },
	{ .name = "clients", .kind = RP_CFG_LIST, .required = true, .max = 16,
	  .children = dae_client_schema, .help = "RADIUS servers allowed to send requests" },
	{ .name = "event_timestamp_window", .kind = RP_CFG_INT, .min = 0, .max = 86400,
	  .help = "s an Event-Timestamp may be away from our clock (default 300; 0 = unchecked)" },
	{ .name = "require_event_timestamp", .kind = RP_CFG_BOOL,
	  .help = "drop requests without Event-Timestamp (default false)" },
	{ 0 }
};

static const struct rp_cfg_schema local_user_schema[] = {
	{ .name = "name", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 64,
	  .help = "user name (the EAP identity), printable ASCII without ':' or blanks" },
	{ .name = "password", .kind = RP_CFG_STRING, .required = true, .min = 1, .max = 128,
	  .help = "password (EAP-MD5, EAP-MSCHAPv2 of the local method)" },
	{ 0 }
};

const struct rp_cfg_schema rp_conf_aaa_schema[] = {
	{ .name = "local_users", .kind = RP_CFG_LIST, .max = 4096, .children = local_user_schema,
	  .help = "local users for the method \"local\" of EAP lists (username NAME password)" },
	{ .name = "local_users_file", .kind = RP_CFG_STRING, .min = 1, .max = 255,
	  .help = "file of more local users, one name:password a line ('#': comment)" },
	{ .name = "radius", .kind = RP_CFG_GROUP, .children = radius_schema,
	  .help = "RADIUS servers and server groups" },
	{ .name = "authentication", .kind = RP_CFG_LIST, .max = 64, .children = authen_schema,
	  .help = "authentication method lists" },
	{ .name = "authorization", .kind = RP_CFG_LIST, .max = 64, .children = author_schema,
	  .help = "authorization method lists" },
	{ .name = "accounting", .kind = RP_CFG_LIST, .max = 64, .children = acct_schema,
	  .help = "accounting method lists" },
	{ .name = "accounting_queue", .kind = RP_CFG_GROUP, .children = acct_queue_schema,
	  .help = "the accounting records' queue and retries" },
	{ .name = "dynamic_author", .kind = RP_CFG_GROUP, .children = dae_schema,
	  .help = "Disconnect / CoA server, RFC 5176 (aaa server radius dynamic-author)" },
	{ 0 }
};
