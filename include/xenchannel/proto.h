/*
 * proto.h - the xenchannel agent protocol: frames, resynchronising decoder,
 * messages, the configuration document and its authentication.
 *
 * The wire format is specified byte by byte in docs/protocol.md. In short,
 * every frame is a 28-byte little-endian header followed by a JSON payload:
 *
 *   0  magic   F1 78 63 68        ("\xF1" "xch")
 *   4  u8      version            protocol version of the sender's frame
 *   5  u8      type               PROTO_HELLO ... PROTO_REPLY
 *   6  u16     flags              PROTO_F_AGENT on frames sent by the agent
 *   8  u32     epoch              session epoch chosen by the host
 *  12  u32     seq                per-sender sequence number
 *  16  u32     length             payload length (<= PROTO_MAX_PAYLOAD)
 *  20  u32     payload CRC32C
 *  24  u32     header CRC32C      over bytes 0..23
 *
 * A receiver skips bytes until it sees the magic followed by a header whose
 * CRC matches, so garbage, modem commands, echoed bytes and half frames are
 * never taken for a message.
 */
#ifndef XENCHANNEL_PROTO_H
#define XENCHANNEL_PROTO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_MAGIC "\xF1xch"
#define PROTO_HDR_SIZE 28u
#define PROTO_MAX_PAYLOAD (256u * 1024u)
#define PROTO_VERSION 1u     /* highest version this implementation speaks */
#define PROTO_MIN_VERSION 1u /* lowest */

enum proto_type {
	PROTO_HELLO = 1,   /* host -> agent: start a session */
	PROTO_READY = 2,   /* agent -> host: session accepted */
	PROTO_REQUEST = 3, /* host -> agent */
	PROTO_REPLY = 4,   /* agent -> host */
};

#define PROTO_F_AGENT 0x0001u /* set on every frame the agent sends */

struct proto_frame {
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint32_t epoch;
	uint32_t seq;
	uint32_t len;
	const uint8_t *payload; /* valid until the next decoder call */
};

/* CRC32C (Castagnoli, reflected, init/xorout 0xFFFFFFFF). Pass crc = 0 to start. */
uint32_t proto_crc32c(uint32_t crc, const void *buf, size_t len);

/* Encode one frame into out (cap >= PROTO_HDR_SIZE + f->len). Returns the
 * frame size, or -1 when the payload is too large or out too small. */
long proto_encode(const struct proto_frame *f, uint8_t *out, size_t cap);

/* Encode a frame whose payload is the compact JSON of obj; *out is malloc'd. */
int proto_encode_json(uint8_t type, uint16_t flags, uint32_t epoch, uint32_t seq, const json_t *obj,
                      uint8_t **out, size_t *outlen);

/* ---- decoder ---- */

enum proto_event {
	PROTO_EV_NONE = 0, /* need more bytes */
	PROTO_EV_FRAME,    /* a complete, checked frame */
	PROTO_EV_OVERSIZE, /* valid header announcing length > max: header in frame, no payload */
	PROTO_EV_BADCRC,   /* valid header, payload CRC mismatch: header in frame */
};

struct proto_decoder_stats {
	uint64_t frames;
	uint64_t skipped;   /* bytes discarded while searching for a frame */
	uint64_t oversize;  /* frames refused for their length */
	uint64_t badcrc;    /* payload CRC mismatches */
	uint64_t truncated; /* frames cut short by the start of another frame */
};

struct proto_decoder;

/* max_payload 0 means PROTO_MAX_PAYLOAD. Returns NULL on allocation failure. */
struct proto_decoder *proto_decoder_new(uint32_t max_payload);
void proto_decoder_free(struct proto_decoder *d);
/* Forget every buffered byte (a reopened device, a new connection). */
void proto_decoder_reset(struct proto_decoder *d);
/* Append bytes; returns how many were taken (less than len when the buffer
 * is full: call proto_decoder_next() and feed the rest). */
size_t proto_decoder_feed(struct proto_decoder *d, const void *buf, size_t len);
/* Next event; the frame (and its payload) stays valid until the next call. */
enum proto_event proto_decoder_next(struct proto_decoder *d, struct proto_frame *f);
const struct proto_decoder_stats *proto_decoder_stats(const struct proto_decoder *d);

/* Parse a frame's payload as a JSON object. NULL with a message in err. */
json_t *proto_payload_parse(const struct proto_frame *f, char *err, size_t errlen);

/* ---- messages ---- */

/* Error codes of a failed reply ("error": {"code": ..., "message": ...}). */
#define PROTO_ERR_UNSUPPORTED "unsupported"
#define PROTO_ERR_REFUSED "refused"
#define PROTO_ERR_INVALID "invalid"
#define PROTO_ERR_FAILED "failed"

/* Item results inside an apply/status reply. */
#define PROTO_RES_APPLIED "applied"
#define PROTO_RES_UNCHANGED "unchanged"
#define PROTO_RES_FAILED "failed"
#define PROTO_RES_REFUSED "refused"

/* Pick the highest version present in both the peer's list and our
 * [PROTO_MIN_VERSION, PROTO_VERSION]. Returns 0 when there is none. */
unsigned proto_pick_version(const json_t *versions);

/* A JSON string of text built from untrusted or truncated bytes: when it is
 * not valid UTF-8, control characters, backslashes and every non-ASCII byte
 * become \xNN, so there always is a string. NULL only without memory. */
json_t *proto_json_text(const char *s);

/* {"id": id, "ok": false, "error": {"code": code, "message": msg}}; msg goes
 * through proto_json_text. */
json_t *proto_error_reply(json_int_t id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- configuration document ---- */

/* Append one problem to err as a line of its own (after a '\n' when err
 * holds some already). Always returns -1, for `return proto_err_add(...)`. */
int proto_err_add(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The document (docs/protocol.md §6) parsed once into plain values: what the
 * parser accepted is exactly what the agent applies, with addresses, MACs,
 * modes and base64 content already decoded. Strings are copies owned by the
 * struct; lists keep the document's order. */
struct proto_addr {
	int family;       /* AF_INET or AF_INET6; 0: not given (a route's "default") */
	uint8_t addr[16]; /* network byte order, 4 or 16 bytes used */
	unsigned plen;    /* prefix length of an "address/prefix", else 0 */
	char text[64];    /* as written (messages, resolv.conf) */
};

struct proto_route {
	struct proto_addr to; /* family 0: "default" */
	struct proto_addr via;
	uint32_t metric; /* 0: none given */
};

struct proto_ethernet {
	char *id;
	int has_mac; /* matched by match.macaddress, else by name (id) */
	uint8_t mac[6];
	char mac_text[18];        /* as written */
	unsigned mtu;             /* 0: not given */
	struct proto_addr *addrs; /* addresses (address/prefix) */
	size_t naddrs;
	struct proto_addr gateway4, gateway6; /* family 0: not given */
	struct proto_route *routes;
	size_t nroutes;
	struct proto_addr *dns; /* nameservers.addresses */
	size_t ndns;
	char **search; /* nameservers.search */
	size_t nsearch;
};

struct proto_user {
	char *name;
	int has_keys; /* ssh_authorized_keys given (possibly empty) */
	char **keys;
	size_t nkeys;
};

struct proto_file {
	char *path;
	uint8_t *data; /* content, decoded when base64; never NULL */
	size_t len;
	unsigned mode; /* permissions; 0644 when not given */
	char *owner;   /* "user" or "user:group"; "root:root" when not given */
};

/* A NoCloud seed (docs/protocol.md §6.2): the files of cloud-init's seed
 * directory, by PROTO_SEED_* index; NULL when not in the seed. */
enum proto_seed_file {
	PROTO_SEED_META_DATA,
	PROTO_SEED_USER_DATA,
	PROTO_SEED_NETWORK_CONFIG,
	PROTO_SEED_VENDOR_DATA,
	PROTO_SEED_NFILES,
};
extern const char *const proto_seed_names[PROTO_SEED_NFILES]; /* "meta-data", ... */
#define PROTO_SEED_MAX (96u * 1024u) /* bytes per file, so a seed fits a frame */

struct proto_config {
	json_int_t generation;
	char *hostname, *fqdn; /* NULL when not given */
	int has_ethernets;     /* network.ethernets given (possibly empty) */
	struct proto_ethernet *ethernets;
	size_t nethernets;
	struct proto_user *users;
	size_t nusers;
	struct proto_file *files;
	size_t nfiles;
	int has_seed;                       /* "nocloud" given */
	char *seed[PROTO_SEED_NFILES];      /* file contents, NULL: absent */
	size_t seed_len[PROTO_SEED_NFILES]; /* their lengths */
};

/* Parse and validate a configuration document into c. Returns 0, or -1 with
 * the problems in err, one line each ('\n' between them), each naming its
 * key path (e.g. "network.ethernets.eth0.addresses[1]: not an
 * address/prefix"): the first problem of every top-level key, interface,
 * user and file; c is then empty. Free a parsed c with proto_config_free(). */
int proto_config_parse(const json_t *doc, struct proto_config *c, char *err, size_t errlen);
void proto_config_free(struct proto_config *c);
/* Only validate: proto_config_parse() without keeping the result. */
int proto_config_validate(const json_t *doc, char *err, size_t errlen);

/* Parse "a.b.c.d/len" or "x:y::z/len". family gets AF_INET or AF_INET6;
 * addr must hold 16 bytes. Returns 0 or -1. */
int proto_parse_prefix(const char *s, int *family, uint8_t *addr, unsigned *plen);
int proto_parse_ip(const char *s, int *family, uint8_t *addr);
/* "52:54:00:12:34:56" -> 6 bytes; returns 0 or -1. */
int proto_parse_mac(const char *s, uint8_t mac[6]);

/* ---- cloud-init inputs (cloud-config.c) ---- */

/* Check a cloud-config (user-data's YAML, as JSON) with cloud-init's schema
 * for the keys known here (host name, users, ssh keys, write_files,
 * packages, runcmd, ...); other keys are cloud-init's. Every problem is a
 * line "PATH: what" in err (PATH as "users[0].name"). Returns 0 or -1. */
int proto_cloud_config_check(const json_t *cc, char *err, size_t errlen);
/* Check a network-config: version 2, at the top or under "network". */
int proto_network_config_check(const json_t *nc, char *err, size_t errlen);

/* Where a converted document's parts came from. */
enum proto_cc_source { PROTO_CC_USER_DATA, PROTO_CC_NETWORK_CONFIG, PROTO_CC_META_DATA };

struct proto_cc_result {
	json_t *doc;     /* the configuration document; "generation" only when cc had one */
	json_t *skipped; /* [{"item", "reason"}]: what only cloud-init can do */
	json_t *origin;  /* {"DOC PATH": [source, "SOURCE PATH"]}: for messages */
};

/* A checked cloud-config cc with its network-config nc and meta-data md
 * (either may be NULL) as a configuration document for our own appliers:
 * host name, users' and the default user's ssh keys, write_files, static
 * network-config v2. Everything else becomes a skipped item, never dropped
 * in silence. Returns 0, or -1 with err (out of memory). Free with
 * proto_cc_result_free(). */
int proto_cloud_config_convert(const json_t *cc, const json_t *nc, const json_t *md,
                               struct proto_cc_result *out, char *err, size_t errlen);
void proto_cc_result_free(struct proto_cc_result *r);

/* ---- authentication ---- */

/* Hex HMAC-SHA256 of doc under key (out: 65 bytes incl. NUL). Returns 0 or -1. */
int proto_hmac_hex(const uint8_t *key, size_t keylen, const void *doc, size_t doclen, char out[65]);
/* Constant-time check of a hex HMAC. Returns 1 when it matches, else 0. */
int proto_hmac_verify(const uint8_t *key, size_t keylen, const void *doc, size_t doclen,
                      const char *hex);
/* Hex SHA-256 of a document (out: 65 bytes). */
int proto_sha256_hex(const void *doc, size_t doclen, char out[65]);

/* Read a key file (raw bytes, one trailing newline dropped). When
 * require_private is set the file must not be readable by group or others.
 * Returns a malloc'd buffer and its length, or NULL with err. */
uint8_t *proto_key_load(const char *path, int require_private, size_t *len, char *err,
                        size_t errlen);

#endif
