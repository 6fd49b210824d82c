/* The two string syntaxes of the association items: UIDs (PS3.5 §9.1)
 * and AE titles (PS3.8 §9.3.2, PS3.5 AE value representation). */
#include <string.h>

#include "internal.h"

/* One component: digits only, no leading zero unless it is "0". */
static int uid_component_ok(const uint8_t *s, size_t n)
{
	size_t i;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Takes the whole rest of c as one UID. Real devices pad a UID to even
 * length with one NUL (as in a data set) or a space even where PS3.8 says
 * no padding: exactly one such byte is tolerated and left out of *len, a
 * second one is an error like any other stray byte. */
enum dcm_fault dcm_uid_check(struct cur *c, const uint8_t **uid, size_t *len)
{
	size_t n = cur_left(c), start = 0, i;
	const uint8_t *s;

	if (cur_ptr(c, n, &s) || n == 0)
		return DCM_F_UID;
	if (s[n - 1] == 0 || s[n - 1] == ' ')
		n--;
	if (n == 0 || n > DCM_UID_MAX)
		return DCM_F_UID;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!uid_component_ok(s + start, i - start))
			return DCM_F_UID;
		start = i + 1;
	}
	*uid = s;
	*len = n;
	return DCM_OK;
}

/* Reads a 16-byte AE title field into out, leading and trailing spaces
 * removed (they are not significant). Allowed are the printable ISO 646
 * characters except backslash, the multi-value delimiter; a title of
 * spaces only names nobody. */
enum dcm_fault dcm_ae_parse(struct cur *c, char out[17])
{
	uint8_t raw[16];
	size_t first = 16, last = 0, i;

	if (cur_copy(c, raw, sizeof(raw)))
		return DCM_F_ITEM_LENGTH;
	for (i = 0; i < sizeof(raw); i++) {
		if (raw[i] < 0x20 || raw[i] > 0x7e || raw[i] == '\\')
			return DCM_F_AE_TITLE;
		if (raw[i] == ' ')
			continue;
		if (first == 16)
			first = i;
		last = i + 1;
	}
	if (first == 16)
		return DCM_F_AE_TITLE;
	memcpy(out, raw + first, last - first);
	out[last - first] = '\0';
	return DCM_OK;
}
