/* SPDX-License-Identifier: LicenseRef-Rampart-Proprietary */
/**
 * @file dp_config.h
 * rampart-dp's view of the configuration: the `dataplane` section (and the few global
 * settings the dataplane needs) checked for meaning and copied into a plain struct, and the
 * DPDK EAL argument vector built from it. (Manual SAs, `dataplane.manual_sas`: manual.h.)
 *
 * This module makes no DPDK call, so it can be unit-tested without hugepages or EAL.
 *
 * What the schema (common/conf.c, common/conf_dp.c) cannot express is checked here and reported with
 * rp_cfg_error() in the usual "FILE:LINE: setting '...': message" form: two ports with the
 * same name or device, a worker lcore equal to the main lcore or listed twice, an lcore this
 * process may not run on, a device that is neither a DPDK virtual device nor a PCI address,
 * a missing outside or inside port, an eal_args entry that would override what rampart-dp
 * sets itself from the configuration (lcores, memory, devices, file prefix), a MAC or IP
 * address that does not parse, two gateways of one family, an exception port serving a port
 * that is not an outside or inside port or already has one.
 *
 * Ownership: struct dp_config and struct dp_eal_args are caller-allocated and self-contained
 * (no pointers into the rp_cfg); dp_eal_args_build() fills a struct whose argv points into its
 * own storage and needs no freeing.
 */
#ifndef RAMPART_DATAPLANE_DP_CONFIG_H
#define RAMPART_DATAPLANE_DP_CONFIG_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cfg.h"

/** Largest lcore id accepted (DPDK's RTE_MAX_LCORE; main.c asserts they agree). */
#define DP_MAX_LCORE 128
/** Worker lcores at most. */
#define DP_MAX_WORKERS 64
/** Ports at most (DPDK's RTE_MAX_ETHPORTS; the schema's copy is RP_CONF_DP_MAX_PORTS). */
#define DP_MAX_PORTS 32
/** Longest port name (rp_msg_port.name holds it with its NUL). */
#define DP_PORT_NAME_MAX 31
/** Longest device string (name plus devargs). */
#define DP_DEVICE_MAX 255
/** Largest RX/TX burst. */
#define DP_BURST_MAX 256

/** Port roles; values are those of rp_msg_port.role. */
enum dp_port_role {
	DP_ROLE_OUTSIDE = 0,   /**< faces the remote clients (ESP, IKE) */
	DP_ROLE_INSIDE = 1,    /**< faces the protected network */
	DP_ROLE_EXCEPTION = 2, /**< to the kernel (net_tap / virtio-user) */
};

/** How a port's device is given to DPDK. */
enum dp_dev_kind {
	DP_DEV_VDEV = 0, /**< a DPDK virtual device "net_xxx[,args]": --vdev */
	DP_DEV_PCI = 1,  /**< a PCI address "[DDDD:]BB:DD.F[,args]": -a */
};

/** Static neighbours per port at most (the schema's copy: RP_CONF_DP_NEIGH_STATIC_MAX). */
#define DP_NEIGH_STATIC_MAX 16

/** An IPv4 or IPv6 address with the MAC address of the host that has it. */
struct dp_neigh_conf {
	uint8_t af;        /**< 4 or 6 */
	uint8_t addr[16];  /**< network byte order; IPv4 in the first 4 bytes */
	uint8_t mac[6];
	int line;
};

struct dp_port_conf {
	char name[DP_PORT_NAME_MAX + 1];   /**< operator's name ("outside") */
	enum dp_port_role role;
	enum dp_dev_kind kind;
	char device[DP_DEVICE_MAX + 1];    /**< as configured, devargs included */
	/** DPDK's device name: the part before the first comma, PCI addresses in the
	 *  full DDDD:BB:DD.F form; what rte_eth_dev_get_port_by_name() is given. */
	char dev_name[64];
	unsigned int mtu;                  /**< 0 = the driver's default */
	int line;                          /**< config line of the port, for messages */
	/* Next hops: gateway_mac, gateway, neighbors (see dataplane/README.md). */
	bool has_gateway_mac;
	uint8_t gateway_mac[6];            /**< static next-hop MAC: the last resort */
	bool has_gw4, has_gw6;
	uint8_t gw4[4], gw6[16];           /**< next-hop router, resolved like a neighbour */
	struct dp_neigh_conf neighbors[DP_NEIGH_STATIC_MAX];
	unsigned int n_neighbors;
	/** Exception ports: index of the port whose kernel path this is; -1 for others. */
	int serves;
	/** Data ports: index of their exception port, -1 if none. */
	int exception;
};

struct dp_config {
	char instance[64];
	int log_level;                 /**< enum rp_log_level */
	int log_target;                /**< enum rp_log_target */
	unsigned int main_lcore;
	unsigned int workers[DP_MAX_WORKERS];
	unsigned int n_workers;
	unsigned int memory_mb;
	bool hugepages;
	unsigned int idle_sleep_us;    /**< 0 = busy polling */
	unsigned int burst;
	unsigned int mbufs;            /**< per NUMA socket; 0 = sized from the queues */
	unsigned int mbuf_data_room;   /**< frame bytes per mbuf; 0 = from the ports' MTUs */
	/** dataplane.eal_args: n_eal_extra NUL-terminated strings, one after another. */
	char eal_extra[4096];
	unsigned int n_eal_extra;
	struct dp_port_conf ports[DP_MAX_PORTS];
	unsigned int n_ports;
	char region[256];              /**< control region path */
	uint32_t chan_slots;
	/* SA tables: sa_max, route_max, fib_tbl8, fib6_tbl8, lifetime_scan_ms. */
	uint32_t sa_max;               /**< SAs (both directions) the tables hold */
	uint32_t route_max;            /**< client routes (IPv4 + IPv6) */
	uint32_t fib_tbl8;             /**< IPv4 DIR24-8 8-bit groups */
	uint32_t fib6_tbl8;            /**< IPv6 LPM 8-bit groups */
	uint32_t lifetime_scan_ms;     /**< every SA's counters are checked within this time */
};

/** SA table defaults: they fit the demo's 128-256 MB; production sets sa_max (1M SAs need
 *  about 4 GB with the SAs themselves, see dataplane/README.md). */
#define DP_DEFAULT_SA_MAX 16384
#define DP_DEFAULT_LIFETIME_SCAN_MS 1000
/** Largest sa_max: slot numbers are next hops of the IPv6 LPM (21 bits; the schema's copy
 *  is RP_CONF_DP_SA_MAX_LIMIT). */
#define DP_SA_MAX_LIMIT ((1u << 21) - 1)

/** Defaults used when a setting is absent (same values as common/default.conf). */
#define DP_DEFAULT_MEMORY_MB 256
#define DP_DEFAULT_IDLE_SLEEP_US 100
#define DP_DEFAULT_BURST 32

/**
 * Check the loaded configuration @p c for meaning and fill @p out: lcores, memory, ports and
 * their next-hop settings (`gateway_mac`, `gateway`, `neighbors`), the pairing of exception
 * ports with the ports they serve (explicit `serves`, else the first outside port without an
 * exception port, then inside ports), SA table sizes (`sa_max`; `route_max` defaults to
 * 2 x sa_max, `fib_tbl8` and `fib6_tbl8` to sa_max / 4, at least 256), EAL arguments.
 * `manual_sas` are read by dp_manual_from_cfg() (manual.h).
 *
 * @param avail CPUs this process may use; NULL = the calling thread's affinity mask.
 * @return 0, or -EINVAL after reporting every problem with rp_cfg_error() (the first one is
 *         in c->err).
 */
int dp_config_from_cfg(struct rp_cfg *c, const cpu_set_t *avail, struct dp_config *out);

/** Parse "aa:bb:cc:dd:ee:ff". @return true and @p mac. */
bool dp_mac_parse(const char *s, uint8_t mac[6]);

/** Parse an IPv4 or IPv6 address into @p addr (16 bytes, IPv4 in the first 4). @return 4,
 *  6, or 0 if it is neither. */
int dp_ip_parse(const char *s, uint8_t addr[16]);

/** Name shown to operators for a role ("outside"). */
const char *dp_port_role_name(enum dp_port_role role);

/**
 * Classify a device string: a DPDK virtual device (starts with "net_"), or a PCI address
 * in DDDD:BB:DD.F or BB:DD.F form, either followed by ",devargs".
 * @param dev_name if not NULL, receives DPDK's device name (see dp_port_conf.dev_name).
 * @return 0 and *kind, or -EINVAL if the string is neither.
 */
int dp_device_parse(const char *device, enum dp_dev_kind *kind, char *dev_name, size_t len);

/** Extra EAL arguments (dataplane.eal_args) at most. */
#define DP_EAL_EXTRA_MAX 255
/** EAL --file-prefix is this followed by the instance name. */
#define DP_EAL_PREFIX "rampart-"

/** Most arguments an EAL vector can have. */
#define DP_EAL_ARGS_MAX (16 + 2 * DP_MAX_PORTS + DP_EAL_EXTRA_MAX)

/** An EAL argument vector; argv[argc] is NULL, argv[0] the program name. */
struct dp_eal_args {
	int argc;
	char *argv[DP_EAL_ARGS_MAX + 1];
	char buf[16384]; /**< storage the argv strings point into */
	size_t used;
};

/**
 * Build the EAL arguments for @p dc:
 *   -l MAIN,WORKERS --main-lcore MAIN --file-prefix DP_EAL_PREFIX INSTANCE
 *   -m MB | --no-huge -m MB
 *   --no-pci (when no port is a PCI device) | -a BDF[,args] per PCI port
 *   --vdev DEVICE per virtual-device port
 *   --log-level LEVEL
 *   dataplane.eal_args, as given
 * Never --in-memory: telemetry, pdump and dumpcap need the runtime directory.
 *
 * rte_eal_init() may permute and rewrite the vector; pass it a copy (dp_eal_args_copy())
 * if the original is still needed.
 * @return 0, or -ENOSPC if the vector does not fit (cannot happen with DP_MAX_PORTS ports).
 */
int dp_eal_args_build(const struct dp_config *dc, const char *prog, struct dp_eal_args *ea);

/** Print arguments 1..argc-1 on one line, shell-quoted where needed, then a newline. */
void dp_eal_args_print(const struct dp_eal_args *ea, FILE *f);

/** Format arguments 1..argc-1 as dp_eal_args_print() does, into @p buf (truncated). */
const char *dp_eal_args_str(const struct dp_eal_args *ea, char *buf, size_t len);

/** DPDK's name for a Rampart log level ("notice"), as --log-level takes it. */
const char *dp_eal_log_level(int rp_level);

#endif
