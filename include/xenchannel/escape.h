/*
 * escape.h - untrusted bytes made safe to show in one message line.
 *
 * Printable ASCII (0x20-0x7e) is copied as is, every other byte is written
 * \xNN, and the result is bounded: text cut short ends in "...". Values from
 * guests, config files and the command line all go through here before they
 * reach a log, a terminal or an error message.
 */
#ifndef XENCHANNEL_ESCAPE_H
#define XENCHANNEL_ESCAPE_H

#include <stddef.h>

/* Write '\' as \x5c too, so that the text reads back unambiguously (a
 * literal "\x41" is then told apart from an escaped byte). */
#define ESC_BACKSLASH 1u

/* Escape s[0..len) into buf, always NUL-terminated (a buf of fewer than 12
 * bytes gets ""). At most max bytes of s are shown (0: no limit); when max or
 * size cuts the text short, it ends in "...". s may be NULL when len is 0.
 * Returns buf. */
const char *esc_text(char *buf, size_t size, const char *s, size_t len, size_t max, unsigned flags);

#endif
