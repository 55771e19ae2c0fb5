/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/* "show profiles" and "show certificate-maps": text and JSON views of the policy model. */
#include "controlplane/policy/show.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *local_name(int m)
{
	return m == POL_AUTH_RSA_SIG ? "rsa-sig" : m == POL_AUTH_ECDSA_SIG ? "ecdsa-sig" : "pre-share";
}

/* Remote methods as configured words, into @p words (at most 4). */
static unsigned remote_names(const struct pol_profile *p, char words[4][48])
{
	unsigned n = 0;

	if (p->auth_remote & POL_AUTH_RSA_SIG)
		snprintf(words[n++], 48, "rsa-sig");
	if (p->auth_remote & POL_AUTH_ECDSA_SIG)
		snprintf(words[n++], 48, "ecdsa-sig");
	if (p->auth_remote & POL_AUTH_PSK)
		snprintf(words[n++], 48, "pre-share");
	if (p->auth_remote & POL_AUTH_EAP) {
		int w = snprintf(words[n], 48, "eap%s", p->eap_query_identity ? " query-identity" : "");

		if (p->eap_timeout && w > 0 && w < 48)
			snprintf(words[n] + w, (size_t)(48 - w), " timeout %d", p->eap_timeout);
		n++;
	}
	return n;
}

static const char *owner_of(const struct pol_set *s, const struct pki_certmap *m)
{
	for (unsigned i = 0; i < s->n_profiles; i++)
		for (unsigned k = 0; k < s->profiles[i].n_maps; k++)
			if (s->profiles[i].maps[k] == m)
				return s->profiles[i].name;
	return NULL;
}

/* identity_local as configured ("fqdn vpn.example.test", "dn"), NULL when not set. */
static const char *id_local_text(const struct pol_profile *p, char *buf, size_t len)
{
	static const char *const kw[] = { [POL_IDL_ADDRESS] = "address", [POL_IDL_DN] = "dn",
					  [POL_IDL_FQDN] = "fqdn", [POL_IDL_EMAIL] = "email",
					  [POL_IDL_KEY_ID] = "key-id" };

	if (p->id_local == POL_IDL_DEFAULT)
		return NULL;
	snprintf(buf, len, "%s%s%s", kw[p->id_local], p->id_local_len ? " " : "",
		 p->id_local_value);
	return buf;
}

/* The methods of an `aaa authorization` line as configured ("cert eap psk"). */
static const char *author_methods(unsigned m, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", m & (POL_AUTH_RSA_SIG | POL_AUTH_ECDSA_SIG) ? "cert " : "",
		 m & POL_AUTH_EAP ? "eap " : "", m & POL_AUTH_PSK ? "psk " : "");
	if (buf[0])
		buf[strlen(buf) - 1] = 0;
	return buf;
}

/* "cert list local username author-policy1 override" (IOS aaa authorization group|user). */
static void author_text(const struct pol_aaa_author *a, bool user, char *buf, size_t len)
{
	char m[24];

	if (!a->set) {
		snprintf(buf, len, "none");
		return;
	}
	snprintf(buf, len, "%s%s%s%s%s%s%s%s", author_methods(a->methods, m, sizeof(m)),
		 a->list[0] ? " list " : "", a->list, a->name_mangler[0] ? " name-mangler " : "",
		 a->name_mangler, a->username[0] ? " username " : "", a->username,
		 user ? (a->cached ? " cached" : "") : (a->override ? " override" : ""));
}

static void author_json(struct json_w *w, const char *key, const struct pol_aaa_author *a,
			bool user)
{
	char m[24], *tok, *save = NULL;

	json_key(w, key);
	if (!a->set) {
		json_null(w);
		return;
	}
	json_obj_open(w);
	json_key(w, "methods");
	json_arr_open(w);
	author_methods(a->methods, m, sizeof(m));
	for (tok = strtok_r(m, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		json_str(w, tok);
	json_arr_close(w);
	json_key(w, "list");
	a->list[0] ? json_str(w, a->list) : json_null(w);
	json_key(w, "username");
	a->username[0] ? json_str(w, a->username) : json_null(w);
	json_key(w, "name_mangler");
	a->name_mangler[0] ? json_str(w, a->name_mangler) : json_null(w);
	json_kv_bool(w, user ? "cached" : "override", user ? a->cached : a->override);
	json_obj_close(w);
}

static void profile_json(const struct pol_profile *p, struct json_w *w)
{
	char words[4][48], buf[64], idl[300];
	unsigned nr = remote_names(p, words);

	json_obj_open(w);
	json_kv_str(w, "name", p->name);
	json_key(w, "match");
	json_obj_open(w);
	json_key(w, "certificate");
	json_arr_open(w);
	for (unsigned i = 0; i < p->n_maps; i++)
		json_str(w, p->maps[i]->name);
	json_arr_close(w);
	json_key(w, "identity_remote");
	json_arr_open(w);
	for (unsigned i = 0; i < p->n_ids; i++)
		json_str(w, p->ids[i].text);
	json_arr_close(w);
	json_key(w, "address_local");
	json_arr_open(w);
	for (unsigned i = 0; i < p->n_local; i++)
		json_str(w, pol_prefix_format(&p->local[i], buf, sizeof(buf)));
	json_arr_close(w);
	json_obj_close(w);
	json_key(w, "authentication");
	json_obj_open(w);
	json_kv_str(w, "local", local_name(p->auth_local));
	json_key(w, "remote");
	json_arr_open(w);
	for (unsigned i = 0; i < nr; i++)
		json_str(w, words[i]);
	json_arr_close(w);
	json_obj_close(w);
	json_key(w, "trustpoints");
	json_arr_open(w);
	for (unsigned i = 0; i < p->n_tps; i++)
		json_str(w, p->tp_names[i]);
	json_arr_close(w);
	json_key(w, "keyring");
	if (p->keyring)
		json_str(w, p->keyring->name);
	else
		json_null(w);
	json_key(w, "keyring_aaa"); /* the password itself is a secret: only whether one is set */
	if (p->keyring_aaa.set) {
		json_obj_open(w);
		json_kv_str(w, "list", p->keyring_aaa.list);
		json_key(w, "name_mangler");
		p->keyring_aaa.name_mangler[0] ? json_str(w, p->keyring_aaa.name_mangler) :
						 json_null(w);
		json_kv_bool(w, "password_set", p->keyring_aaa.password[0] != 0);
		json_obj_close(w);
	} else {
		json_null(w);
	}
	json_key(w, "identity_local");
	if (id_local_text(p, idl, sizeof(idl)))
		json_str(w, idl);
	else
		json_null(w);
	json_key(w, "lifetime_s"); /* null: the IKE configuration's (ike.lifetime) */
	if (p->has_lifetime)
		json_int(w, p->lifetime);
	else
		json_null(w);
	json_key(w, "dpd");
	if (p->dpd_interval) {
		json_obj_open(w);
		json_kv_int(w, "interval_s", p->dpd_interval);
		json_kv_int(w, "retry_s", p->dpd_retry);
		json_kv_str(w, "mode", p->dpd_periodic ? "periodic" : "on-demand");
		json_obj_close(w);
	} else {
		json_null(w);
	}
	json_kv_int(w, "nat_keepalive_s", p->nat_keepalive);
	json_key(w, "proposals");
	json_arr_open(w);
	for (unsigned i = 0; i < p->n_proposals; i++)
		json_str(w, p->proposals[i]);
	json_arr_close(w);
	json_key(w, "authorization_policy");
	if (p->authz)
		json_str(w, p->authz->name);
	else
		json_null(w);
	json_key(w, "group");
	if (p->group[0] || p->authz)
		json_str(w, p->group[0] ? p->group : p->authz->name);
	else
		json_null(w);
	json_key(w, "aaa");
	json_obj_open(w);
	json_key(w, "authentication_eap"); /* null: the aaa section's first EAP list */
	p->aaa_eap_list[0] ? json_str(w, p->aaa_eap_list) : json_null(w);
	json_key(w, "accounting");
	p->aaa_acct_list[0] ? json_str(w, p->aaa_acct_list) : json_null(w);
	author_json(w, "authorization_group", &p->author_group, false);
	author_json(w, "authorization_user", &p->author_user, true);
	json_obj_close(w);
	json_key(w, "virtual_template");
	p->virtual_template ? json_int(w, p->virtual_template) : json_null(w);
	json_key(w, "config_exchange");
	json_obj_open(w);
	json_kv_bool(w, "set_send", p->cfg_set_send);
	json_kv_bool(w, "set_accept", p->cfg_set_accept);
	json_obj_close(w);
	json_obj_close(w);
}

static void profile_text(const struct pol_profile *p, struct sbuf *o)
{
	char words[4][48], buf[64], idl[300], auth[600];
	unsigned nr = remote_names(p, words);

	sbuf_printf(o, "IKEv2 profile %s\n", p->name);
	for (unsigned i = 0; i < p->n_maps; i++)
		sbuf_printf(o, "  %-22s %s\n", "match certificate", p->maps[i]->name);
	for (unsigned i = 0; i < p->n_ids; i++)
		sbuf_printf(o, "  %-22s %s\n", "match identity remote", p->ids[i].text);
	if (!p->n_local)
		sbuf_printf(o, "  %-22s any\n", "match address local");
	for (unsigned i = 0; i < p->n_local; i++)
		sbuf_printf(o, "  %-22s %s\n", "match address local",
			    pol_prefix_format(&p->local[i], buf, sizeof(buf)));
	sbuf_printf(o, "  %-22s %s\n", "authentication local", local_name(p->auth_local));
	for (unsigned i = 0; i < nr; i++)
		sbuf_printf(o, "  %-22s %s\n", "authentication remote", words[i]);
	sbuf_printf(o, "  %-22s", "pki trustpoints");
	for (unsigned i = 0; i < p->n_tps; i++)
		sbuf_printf(o, "%s %s", i ? "," : "", p->tp_names[i]);
	sbuf_printf(o, "%s\n", p->n_tps ? "" : " none");
	sbuf_printf(o, "  %-22s %s\n", "keyring", p->keyring ? p->keyring->name : "none");
	if (p->keyring_aaa.set)
		sbuf_printf(o, "  %-22s list %s%s%s%s\n", "keyring aaa", p->keyring_aaa.list,
			    p->keyring_aaa.name_mangler[0] ? ", name-mangler " : "",
			    p->keyring_aaa.name_mangler,
			    p->keyring_aaa.password[0] ? ", password set" : "");
	if (id_local_text(p, idl, sizeof(idl)))
		sbuf_printf(o, "  %-22s %s\n", "identity local", idl);
	/* what the profile leaves out, the ike section decides (ike_policy.c) */
	if (p->has_lifetime)
		sbuf_printf(o, "  %-22s %ld seconds\n", "lifetime", p->lifetime);
	else
		sbuf_printf(o, "  %-22s ike.lifetime\n", "lifetime");
	if (p->dpd_interval)
		sbuf_printf(o, "  %-22s %d seconds, retry %d seconds, %s\n", "dpd", p->dpd_interval,
			    p->dpd_retry, p->dpd_periodic ? "periodic" : "on-demand");
	else
		sbuf_printf(o, "  %-22s ike.dpd\n", "dpd");
	if (p->nat_keepalive)
		sbuf_printf(o, "  %-22s %d seconds\n", "nat keepalive", p->nat_keepalive);
	else
		sbuf_printf(o, "  %-22s ike.nat_keepalive\n", "nat keepalive");
	for (unsigned i = 0; i < p->n_proposals; i++)
		sbuf_printf(o, "  %-22s %s\n", "proposal", p->proposals[i]);
	if (!p->n_proposals)
		sbuf_printf(o, "  %-22s any\n", "proposal");
	sbuf_printf(o, "  %-22s %s\n", "authorization policy", p->authz ? p->authz->name : "none");
	sbuf_printf(o, "  %-22s %s\n", "group",
		    p->group[0] ? p->group : p->authz ? p->authz->name : "none");
	if (p->auth_remote & POL_AUTH_EAP)
		sbuf_printf(o, "  %-22s %s\n", "aaa authentication eap",
			    p->aaa_eap_list[0] ? p->aaa_eap_list : "the first EAP list");
	sbuf_printf(o, "  %-22s %s\n", "aaa accounting",
		    p->aaa_acct_list[0] ? p->aaa_acct_list : "none");
	author_text(&p->author_group, false, auth, sizeof(auth));
	sbuf_printf(o, "  %-22s %s\n", "aaa authorization group", auth);
	author_text(&p->author_user, true, auth, sizeof(auth));
	sbuf_printf(o, "  %-22s %s\n", "aaa authorization user", auth);
	if (p->virtual_template)
		sbuf_printf(o, "  %-22s %d\n", "virtual-template", p->virtual_template);
	sbuf_printf(o, "  %-22s set send %s, set accept %s\n", "config-exchange",
		    p->cfg_set_send ? "on" : "off", p->cfg_set_accept ? "on" : "off");
}

int pol_show_profiles(const struct pol_set *s, const char *name, bool json, struct sbuf *out,
		      struct json_w *jw)
{
	unsigned shown = 0;

	if (json) {
		json_obj_open(jw);
		json_key(jw, "profiles");
		json_arr_open(jw);
	}
	for (unsigned i = 0; s && i < s->n_profiles; i++) {
		const struct pol_profile *p = &s->profiles[i];

		if (name && strcmp(name, p->name))
			continue;
		if (json)
			profile_json(p, jw);
		else
			profile_text(p, out);
		if (!json && !name && i + 1 < s->n_profiles)
			sbuf_addc(out, '\n');
		shown++;
	}
	if (json) {
		json_arr_close(jw);
		json_obj_close(jw);
	} else if (!shown && !name) {
		sbuf_printf(out, "No IKEv2 profiles are configured.\n");
	}
	return name && !shown ? -ENOENT : 0;
}

int pol_show_certmaps(const struct pol_set *s, const char *name, bool json, struct sbuf *out,
		      struct json_w *jw)
{
	unsigned shown = 0;
	char buf[700];

	if (json) {
		json_obj_open(jw);
		json_key(jw, "certificate_maps");
		json_arr_open(jw);
	}
	for (unsigned i = 0; s && i < s->n_maps; i++) {
		const struct pki_certmap *m = &s->maps[i];
		const char *owner = owner_of(s, m);

		if (name && strcmp(name, m->name))
			continue;
		shown++;
		if (json) {
			json_obj_open(jw);
			json_kv_str(jw, "name", m->name);
			json_key(jw, "profile");
			if (owner)
				json_str(jw, owner);
			else
				json_null(jw);
			json_key(jw, "sequences");
			json_arr_open(jw);
			for (unsigned k = 0; k < m->n_seq; k++) {
				json_obj_open(jw);
				json_kv_uint(jw, "sequence", m->seqs[k].seq);
				json_key(jw, "rules");
				json_arr_open(jw);
				for (unsigned r = 0; r < m->seqs[k].n_rules; r++)
					json_str(jw, pki_cm_rule_format(&m->seqs[k].rules[r], buf,
									sizeof(buf)));
				json_arr_close(jw);
				json_obj_close(jw);
			}
			json_arr_close(jw);
			json_obj_close(jw);
			continue;
		}
		sbuf_printf(out, "Certificate map %s (%s%s)\n", m->name, owner ? "profile " : "unused",
			    owner ? owner : "");
		for (unsigned k = 0; k < m->n_seq; k++) {
			sbuf_printf(out, "  sequence %u\n", m->seqs[k].seq);
			for (unsigned r = 0; r < m->seqs[k].n_rules; r++)
				sbuf_printf(out, "    %s\n", pki_cm_rule_format(&m->seqs[k].rules[r], buf,
									 sizeof(buf)));
		}
	}
	if (json) {
		json_arr_close(jw);
		json_obj_close(jw);
	} else if (!shown && !name) {
		sbuf_printf(out, "No certificate maps are configured.\n");
	}
	return name && !shown ? -ENOENT : 0;
}
