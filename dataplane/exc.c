/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * The exception path: a DPDK port of role "exception" (normally net_tap) per outside or
 * inside port. What the workers do not handle themselves (IKE, ARP/ND, ICMP, TLS/DTLS...)
 * goes to it unchanged, so the kernel and rampartd see it as if they owned the port; what
 * the kernel sends on it leaves by the served port unchanged. The tap gets the served port's
 * MAC address so that the kernel's ARP/ND answers name the right one.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>

#include "common/log.h"
#include "dataplane/dp.h"

int dp_exc_init(struct dp_app *app)
{
	for (unsigned int i = 0; i < app->n_ports; i++) {
		struct dp_port *x = &app->ports[i], *s;
		struct rte_eth_dev_info info;
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		int rc;

		if (x->conf->role != DP_ROLE_EXCEPTION || x->conf->serves < 0)
			continue;
		s = &app->ports[x->conf->serves];
		rc = rte_eth_dev_default_mac_addr_set(x->port_id, &s->mac);
		if (rc < 0)
			RP_WARN("exc", "exception port \"%s\": cannot give it the MAC address of \"%s\" "
				"(%s): the kernel will answer ARP/ND with its own", x->conf->name,
				s->conf->name, strerror(-rc));
		else
			x->mac = s->mac;
		app->exc_ifname[i][0] = '\0';
		if (rte_eth_dev_info_get(x->port_id, &info) == 0 && info.if_index) {
			char ifn[IF_NAMESIZE];

			if (if_indextoname(info.if_index, ifn))
				snprintf(app->exc_ifname[i], sizeof(app->exc_ifname[i]), "%s", ifn);
		}
		rte_ether_format_addr(mac, sizeof(mac), &x->mac);
		RP_INFO("exc", "exception port \"%s\" (kernel interface %s, MAC %s) is the kernel "
			"path of port \"%s\"", x->conf->name,
			app->exc_ifname[i][0] ? app->exc_ifname[i] : "unknown", mac, s->conf->name);
	}
	for (unsigned int i = 0; i < app->n_ports; i++) {
		const struct dp_port_conf *pc = app->ports[i].conf;

		if (pc->role != DP_ROLE_EXCEPTION && pc->exception < 0)
			RP_NOTICE("exc", "port \"%s\" has no exception port: IKE, ARP/ND and other "
				  "traffic for the concentrator itself arriving there is dropped "
				  "(no_exception_path)", pc->name);
	}
	return 0;
}

static bool local_equal(const struct dp_local *a, const struct dp_local *b)
{
	if (!a || !b)
		return !a && !b;
	return a->n == b->n && memcmp(a->a, b->a, sizeof(a->a[0]) * a->n) == 0;
}

bool dp_exc_poll_addrs(struct dp_app *app)
{
	struct dp_local next[DP_MAX_PORTS];
	struct ifaddrs *ifa, *p;
	bool changed = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	memset(next, 0, sizeof(next));
	for (p = ifa; p; p = p->ifa_next) {
		if (!p->ifa_addr || (p->ifa_addr->sa_family != AF_INET &&
				     p->ifa_addr->sa_family != AF_INET6))
			continue;
		for (unsigned int i = 0; i < app->n_ports; i++) {
			int served = app->ports[i].conf->serves;
			struct dp_local *l;

			if (app->ports[i].conf->role != DP_ROLE_EXCEPTION || served < 0 ||
			    strcmp(app->exc_ifname[i], p->ifa_name) != 0)
				continue;
			l = &next[served];
			if (l->n == DP_LOCAL_MAX)
				continue;
			if (p->ifa_addr->sa_family == AF_INET) {
				l->a[l->n].af = 4;
				memcpy(l->a[l->n].addr,
				       &((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr, 4);
			} else {
				l->a[l->n].af = 6;
				memcpy(l->a[l->n].addr,
				       &((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_addr, 16);
			}
			l->n++;
		}
	}
	freeifaddrs(ifa);

	for (unsigned int i = 0; i < app->n_ports; i++) {
		struct dp_local *old = app->local[i], *n = NULL;

		if (local_equal(old, next[i].n ? &next[i] : NULL))
			continue;
		if (next[i].n) {
			n = malloc(sizeof(*n));
			if (!n)
				continue;
			*n = next[i];
		}
		__atomic_store_n(&app->local[i], n, __ATOMIC_RELEASE);
		if (old) {
			/* A worker may be comparing against it right now. */
			rte_rcu_qsbr_synchronize(app->qs, RTE_QSBR_THRID_INVALID);
			free(old);
		}
		RP_INFO("exc", "port \"%s\": %u local address%s (from the kernel interface of its "
			"exception port)", app->ports[i].conf->name, n ? n->n : 0,
			n && n->n == 1 ? "" : "es");
		changed = true;
	}
	return changed;
}

void dp_exc_fini(struct dp_app *app)
{
	for (unsigned int i = 0; i < DP_MAX_PORTS; i++) {
		free(app->local[i]);
		app->local[i] = NULL;
	}
}
