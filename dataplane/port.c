/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/*
 * Port bring-up: the devices named in the configuration were created (vdev) or probed (-a)
 * by rte_eal_init(); here each becomes an ethdev with one RX and one TX queue per worker.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "common/log.h"
#include "common/msg.h"
#include "dataplane/dp.h"

/* Descriptors per queue (the driver may round them, see rte_eth_dev_adjust_nb_rx_tx_desc). */
#define RX_DESC 1024
#define TX_DESC 1024
/* Per-lcore mempool cache: the largest DPDK allows, so workers rarely touch the ring. */
#define POOL_CACHE 256
/* Mbufs beyond the descriptors: packets in flight between stages and queues. */
#define POOL_EXTRA 4096

/* Every ethdev name, for an error message. */
static const char *ethdev_names(char *buf, size_t len)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t off = 0;
	uint16_t pid;

	buf[0] = '\0';
	RTE_ETH_FOREACH_DEV(pid) {
		if (off >= len || rte_eth_dev_get_name_by_port(pid, name) != 0)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", name);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

static int port_find(struct dp_port *p)
{
	const struct dp_port_conf *pc = p->conf;
	char names[512];

	if (rte_eth_dev_get_port_by_name(pc->dev_name, &p->port_id) == 0)
		return 0;
	if (pc->kind == DP_DEV_PCI)
		RP_ERR("port", "port \"%s\": PCI device %s is not a DPDK port: is it present and "
		       "bound to vfio-pci (dpdk-devbind.py -s)? DPDK ports: %s",
		       pc->name, pc->dev_name, ethdev_names(names, sizeof(names)));
	else
		RP_ERR("port", "port \"%s\": virtual device %s did not appear as a DPDK port "
		       "(driver missing or devargs \"%s\" refused? see the dpdk messages above); "
		       "DPDK ports: %s",
		       pc->name, pc->dev_name, pc->device, ethdev_names(names, sizeof(names)));
	return -ENODEV;
}

/* What the ports of one NUMA socket need from its mbuf pool. */
struct socket_need {
	unsigned int descs;     /* RX + TX descriptors of every queue */
	unsigned int max_frame; /* largest frame a port may receive */
};

static struct rte_mempool *pool_get(struct dp_app *app, int socket, const struct socket_need *need)
{
	const struct dp_config *dc = &app->conf;
	unsigned int floor = need->descs + (dc->n_workers + 1) * (POOL_CACHE + dc->burst);
	uint16_t room = RTE_MBUF_DEFAULT_BUF_SIZE;
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;
	unsigned int n = 1;

	if (app->pools[socket])
		return app->pools[socket];
	if (dc->mbufs && dc->mbufs < floor) {
		RP_ERR("port", "dataplane.mbufs = %u is too few for socket %d: its queues hold up to "
		       "%u mbufs and the lcore caches %u more; set it to at least %u or leave it out",
		       dc->mbufs, socket, need->descs, floor - need->descs, floor);
		return NULL;
	}
	if (dc->mbufs) {
		n = dc->mbufs + 1;
	} else {
		/* A mempool's ring is a power of two: 2^k - 1 elements use it fully. */
		while (n - 1 < floor + POOL_EXTRA)
			n <<= 1;
	}
	/* Whole frames in one segment: the ESP path will not chase chains. */
	if (need->max_frame + RTE_PKTMBUF_HEADROOM > room)
		room = (uint16_t)(need->max_frame + RTE_PKTMBUF_HEADROOM);
	if (dc->mbuf_data_room + RTE_PKTMBUF_HEADROOM > room)
		room = (uint16_t)(dc->mbuf_data_room + RTE_PKTMBUF_HEADROOM);
	snprintf(name, sizeof(name), "rp_mbuf_s%d", socket);
	mp = rte_pktmbuf_pool_create(name, n - 1, POOL_CACHE, 0, room, socket);
	if (!mp) {
		RP_ERR("port", "cannot create mbuf pool %s (%u mbufs of %u bytes on socket %d): %s; "
		       "raise dataplane.memory_mb (%u now) or reserve more hugepages",
		       name, n - 1, room, socket, rte_strerror(rte_errno), dc->memory_mb);
		return NULL;
	}
	RP_INFO("port", "mbuf pool %s: %u mbufs of %u bytes on socket %d", name, n - 1, room,
		socket);
	app->pools[socket] = mp;
	return mp;
}

static int port_setup(struct dp_app *app, struct dp_port *p, struct rte_mempool *mp)
{
	const struct dp_port_conf *pc = p->conf;
	uint16_t nq = (uint16_t)app->conf.n_workers;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int rc;

	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc < 0) {
		RP_ERR("port", "port \"%s\": cannot read device info: %s", pc->name, strerror(-rc));
		goto out;
	}
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		RP_ERR("port", "port \"%s\" (%s, driver %s) has at most %u RX / %u TX queues; "
		       "rampart-dp needs one of each per worker (%u workers)",
		       pc->name, pc->dev_name, info.driver_name, info.max_rx_queues,
		       info.max_tx_queues, nq);
		rc = -EINVAL;
		goto out;
	}

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = pc->mtu;
	/* With several workers, spread flows over their queues where the device can. */
	if (nq > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	} else if (nq > 1) {
		RP_WARN("port", "port \"%s\" (driver %s) has no RSS: what it receives arrives on "
			"queue 0 only, i.e. at the first worker",
			pc->name, info.driver_name);
	}
	rc = rte_eth_dev_configure(p->port_id, nq, nq, &conf);
	if (rc < 0) {
		RP_ERR("port", "port \"%s\": configure with %u queues%s failed: %s", pc->name, nq,
		       pc->mtu ? " and the configured MTU" : "", strerror(-rc));
		goto out;
	}
	p->configured = true;

	p->n_queues = nq;
	p->n_rxd = RX_DESC;
	p->n_txd = TX_DESC;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &p->n_rxd, &p->n_txd);
	if (rc < 0) {
		RP_ERR("port", "port \"%s\": descriptor counts refused: %s", pc->name, strerror(-rc));
		goto out;
	}
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, p->n_rxd, (unsigned int)p->socket, NULL,
					    mp);
		if (rc < 0) {
			RP_ERR("port", "port \"%s\": RX queue %u setup failed: %s", pc->name, q,
			       strerror(-rc));
			goto out;
		}
		rc = rte_eth_tx_queue_setup(p->port_id, q, p->n_txd, (unsigned int)p->socket, NULL);
		if (rc < 0) {
			RP_ERR("port", "port \"%s\": TX queue %u setup failed: %s", pc->name, q,
			       strerror(-rc));
			goto out;
		}
	}

	rc = rte_eth_dev_start(p->port_id);
	if (rc < 0) {
		RP_ERR("port", "port \"%s\": start failed: %s", pc->name, strerror(-rc));
		goto out;
	}
	p->started = true;

	/* The outside port receives ESP for every client address, the inside port traffic for
	 * every remote network: neither can filter on its own MAC alone. */
	rc = rte_eth_promiscuous_enable(p->port_id);
	if (rc < 0 && rc != -ENOTSUP) {
		RP_ERR("port", "port \"%s\": cannot enable promiscuous mode: %s", pc->name,
		       strerror(-rc));
		goto out;
	}
	if (rc == -ENOTSUP)
		RP_DEBUG("port", "port \"%s\": driver %s has no promiscuous mode", pc->name,
			 info.driver_name);
	rc = rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rc < 0)
		memset(&p->mac, 0, sizeof(p->mac));
	rc = 0;
out:
	return rc;
}

/* rte_eth_link_to_str() is still experimental in 22.11. */
static const char *link_str(const struct rte_eth_link *l, char *buf, size_t len)
{
	const char *duplex = l->link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? "full" : "half";

	if (l->link_status != RTE_ETH_LINK_UP)
		snprintf(buf, len, "link down");
	else if (l->link_speed == RTE_ETH_SPEED_NUM_NONE ||
		 l->link_speed == RTE_ETH_SPEED_NUM_UNKNOWN)
		snprintf(buf, len, "link up, speed unknown, %s-duplex", duplex);
	else
		snprintf(buf, len, "link up, %u Mbps, %s-duplex", l->link_speed, duplex);
	return buf;
}

static void port_log(const struct dp_port *p, const char *what)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	char link[64];
	uint16_t mtu = 0;

	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	link_str(&p->link, link, sizeof(link));
	rte_eth_dev_get_mtu(p->port_id, &mtu);
	RP_INFO("port", "%s \"%s\": role %s, device %s, port id %u, socket %d, MAC %s, MTU %u, "
		"%u RX/TX queues of %u/%u descriptors, %s",
		what, p->conf->name, dp_port_role_name(p->conf->role), p->conf->device, p->port_id,
		p->socket, mac, mtu, p->n_queues, p->n_rxd, p->n_txd, link);
}

int dp_ports_init(struct dp_app *app)
{
	const struct dp_config *dc = &app->conf;
	struct socket_need need[RTE_MAX_NUMA_NODES];
	int rc = 0;

	memset(need, 0, sizeof(need));
	app->n_ports = 0;
	for (unsigned int i = 0; i < dc->n_ports; i++) {
		struct dp_port *p = &app->ports[i];

		memset(p, 0, sizeof(*p));
		p->conf = &dc->ports[i];
		rc = port_find(p);
		if (rc < 0)
			goto out;
		app->n_ports++;
		/* Virtual devices have no socket: put their buffers beside the workers. */
		p->socket = rte_eth_dev_socket_id(p->port_id);
		if (p->socket < 0 || p->socket >= RTE_MAX_NUMA_NODES)
			p->socket = (int)rte_lcore_to_socket_id(dc->workers[0]);
		need[p->socket].descs += dc->n_workers * (RX_DESC + TX_DESC);
		need[p->socket].max_frame = RTE_MAX(need[p->socket].max_frame,
						    (p->conf->mtu ? p->conf->mtu : RTE_ETHER_MTU) +
							    RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN +
							    2 * RTE_VLAN_HLEN);
	}
	if (rte_eth_dev_count_avail() > app->n_ports)
		RP_WARN("port", "DPDK has %u ports, the configuration names %u; the others are "
			"left alone",
			rte_eth_dev_count_avail(), app->n_ports);

	for (unsigned int i = 0; i < app->n_ports; i++) {
		struct dp_port *p = &app->ports[i];
		struct rte_mempool *mp;

		mp = pool_get(app, p->socket, &need[p->socket]);
		if (!mp) {
			rc = -ENOMEM;
			goto out;
		}
		rc = port_setup(app, p, mp);
		if (rc < 0)
			goto out;
		rte_eth_link_get_nowait(p->port_id, &p->link);
		port_log(p, "port");
	}
out:
	return rc;
}

void dp_ports_fini(struct dp_app *app)
{
	for (unsigned int i = 0; i < app->n_ports; i++) {
		struct dp_port *p = &app->ports[i];
		int rc;

		if (p->started) {
			rc = rte_eth_dev_stop(p->port_id);
			if (rc < 0)
				RP_WARN("port", "port \"%s\": stop failed: %s", p->conf->name,
					strerror(-rc));
			p->started = false;
		}
		if (p->configured) {
			rc = rte_eth_dev_close(p->port_id);
			if (rc < 0)
				RP_WARN("port", "port \"%s\": close failed: %s", p->conf->name,
					strerror(-rc));
			p->configured = false;
			RP_INFO("port", "port \"%s\" stopped and closed", p->conf->name);
		}
	}
	app->n_ports = 0;
	for (unsigned int s = 0; s < RTE_MAX_NUMA_NODES; s++) {
		rte_mempool_free(app->pools[s]);
		app->pools[s] = NULL;
	}
}

void dp_ports_poll_links(struct dp_app *app)
{
	for (unsigned int i = 0; i < app->n_ports; i++) {
		struct dp_port *p = &app->ports[i];
		struct rte_eth_link link;

		if (!p->started || rte_eth_link_get_nowait(p->port_id, &link) < 0)
			continue;
		if (link.link_status == p->link.link_status && link.link_speed == p->link.link_speed)
			continue;
		p->link = link;
		port_log(p, link.link_status ? "link up on port" : "link down on port");
	}
}

int dp_port_info(const struct dp_app *app, unsigned int idx, struct rp_msg_port *out)
{
	const struct dp_port *p;
	struct rte_eth_stats st;
	struct rte_eth_link link;
	int rc;

	if (idx >= app->n_ports)
		return -ENOENT;
	p = &app->ports[idx];
	memset(out, 0, sizeof(*out));
	out->port_id = p->port_id;
	out->role = (uint8_t)p->conf->role;
	snprintf(out->name, sizeof(out->name), "%s", p->conf->name);
	/* Long devargs are cut: the name before them is what identifies the device. */
	snprintf(out->device, sizeof(out->device), "%.*s", (int)sizeof(out->device) - 1,
		 p->conf->device);
	if (rte_eth_link_get_nowait(p->port_id, &link) == 0) {
		out->link_up = link.link_status == RTE_ETH_LINK_UP;
		out->speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
	}
	rc = rte_eth_stats_get(p->port_id, &st);
	if (rc < 0)
		return rc;
	out->rx_packets = st.ipackets;
	out->tx_packets = st.opackets;
	out->rx_bytes = st.ibytes;
	out->tx_bytes = st.obytes;
	out->rx_missed = st.imissed;
	out->rx_errors = st.ierrors;
	out->tx_errors = st.oerrors;
	return 0;
}
