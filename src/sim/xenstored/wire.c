/* wire.c - xenstore message framing: header, error names, payload strings. */
#include <errno.h>
#include <string.h>

#include "xsd.h"

/* The error table of xs_wire.h, in its order (index 0 is the fallback). */
static const struct {
	int err;
	const char *name;
} errtab[] = {
    {EINVAL, "EINVAL"},       {EACCES, "EACCES"},   {EEXIST, "EEXIST"}, {EISDIR, "EISDIR"},
    {ENOENT, "ENOENT"},       {ENOMEM, "ENOMEM"},   {ENOSPC, "ENOSPC"}, {EIO, "EIO"},
    {ENOTEMPTY, "ENOTEMPTY"}, {ENOSYS, "ENOSYS"},   {EROFS, "EROFS"},   {EBUSY, "EBUSY"},
    {EAGAIN, "EAGAIN"},       {EISCONN, "EISCONN"}, {E2BIG, "E2BIG"},   {EPERM, "EPERM"},
};

const char *wire_errname(int err)
{
	for (size_t i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].err == err)
			return errtab[i].name;
	return errtab[0].name;
}

int wire_errno(const char *name)
{
	for (size_t i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (strcmp(errtab[i].name, name) == 0)
			return errtab[i].err;
	return -1;
}

const char *wire_typename(uint32_t type)
{
	static const char *const names[] = {
	    "CONTROL",
	    "DIRECTORY",
	    "READ",
	    "GET_PERMS",
	    "WATCH",
	    "UNWATCH",
	    "TRANSACTION_START",
	    "TRANSACTION_END",
	    "INTRODUCE",
	    "RELEASE",
	    "GET_DOMAIN_PATH",
	    "WRITE",
	    "MKDIR",
	    "RM",
	    "SET_PERMS",
	    "WATCH_EVENT",
	    "ERROR",
	    "IS_DOMAIN_INTRODUCED",
	    "RESUME",
	    "SET_TARGET",
	    "RESTRICT",
	    "RESET_WATCHES",
	    "DIRECTORY_PART",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "UNKNOWN";
}

void wire_get_hdr(const unsigned char *p, struct xsd_hdr *h)
{
	memcpy(&h->type, p, 4);
	memcpy(&h->req_id, p + 4, 4);
	memcpy(&h->tx_id, p + 8, 4);
	memcpy(&h->len, p + 12, 4);
}

void wire_put_hdr(unsigned char *p, const struct xsd_hdr *h)
{
	memcpy(p, &h->type, 4);
	memcpy(p + 4, &h->req_id, 4);
	memcpy(p + 8, &h->tx_id, 4);
	memcpy(p + 12, &h->len, 4);
}

unsigned wire_count_nuls(const char *p, uint32_t len)
{
	unsigned n = 0;
	const char *end = p + len;
	while (p < end) {
		const char *z = memchr(p, 0, (size_t)(end - p));
		if (!z)
			break;
		n++;
		p = z + 1;
	}
	return n;
}

const char *wire_onearg(const char *p, uint32_t len)
{
	if (len == 0 || memchr(p, 0, len) != p + len - 1)
		return NULL;
	return p;
}

unsigned wire_strings(const char *p, uint32_t len, const char **vec, unsigned max)
{
	/* The payload copy is always NUL-terminated one byte past len, so an
	 * unterminated last string still reads as a string (as xenstored). */
	unsigned n = 0;
	const char *end = p + len;
	while (p < end) {
		if (n < max)
			vec[n] = p;
		n++;
		p += strlen(p) + 1;
	}
	return n;
}
