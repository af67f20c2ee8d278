/* escape.c - printable, bounded renditions of untrusted bytes. */
#include "xenchannel/escape.h"

#include <string.h>

const char *esc_text(char *buf, size_t size, const char *s, size_t len, size_t max, unsigned flags)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (size < 12) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	for (size_t i = 0; i < len; i++) {
		/* an escape takes 4 bytes: stop while "...\0" still fits after one */
		if ((max && i >= max) || o + 8 >= size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && !(c == '\\' && (flags & ESC_BACKSLASH))) {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	buf[o] = '\0';
	return buf;
}
