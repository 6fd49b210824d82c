/* The two string syntaxes of the association items: UIDs (PS3.5 §9.1)
 * and AE titles (PS3.8 §9.3.2, PS3.5 AE value representation). The policy
 * parser checks its `sop` and `ae` values with the same two rules, so a
 * policy can name nothing the inspector would refuse as malformed. */
#include <string.h>

#include "internal.h"

const char *dcm_uid_problem(const char *s, size_t len)
{
	size_t i, comp = 0;

	if (len > DCM_UID_MAX)
		return "is longer than 64 characters";
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (comp == 0)
				return "has an empty component";
			if (comp > 1 && s[i - comp] == '0')
				return "has a component with a leading zero";
			comp = 0;
		} else if (s[i] < '0' || s[i] > '9') {
			return "has a character that is not a digit or a dot";
		} else {
			comp++;
		}
	}
	return NULL;
}

const char *dcm_ae_problem(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return "is empty or all spaces";
	if (len > DCM_AE_MAX)
		return "is longer than 16 characters";
	for (i = 0; i < len; i++) {
		if (s[i] == '\\')
			return "contains a backslash";
		if (s[i] < 0x20 || s[i] > 0x7e)
			return "contains a control character";
	}
	return NULL;
}

/* Takes the whole rest of c as one UID. Real devices pad a UID to even
 * length with one NUL (as in a data set) or a space even where PS3.8 says
 * no padding: exactly one such byte is tolerated and left out of *len, a
 * second one is an error like any other stray byte. */
enum dcm_fault dcm_uid_check(struct cur *c, const uint8_t **uid, size_t *len)
{
	size_t n = cur_left(c);
	const uint8_t *s;

	if (cur_ptr(c, n, &s) || n == 0)
		return DCM_F_UID;
	if (s[n - 1] == 0 || s[n - 1] == ' ')
		n--;
	if (dcm_uid_problem((const char *)s, n))
		return DCM_F_UID;
	*uid = s;
	*len = n;
	return DCM_OK;
}

/* Reads a 16-byte AE title field into out, leading and trailing spaces
 * removed (they are not significant, and pass dcm_ae_problem anyway). */
enum dcm_fault dcm_ae_parse(struct cur *c, char out[17])
{
	char raw[DCM_AE_MAX];
	size_t first = 0, last = sizeof(raw);

	if (cur_copy(c, raw, sizeof(raw)))
		return DCM_F_ITEM_LENGTH;
	while (first < last && raw[first] == ' ')
		first++;
	while (last > first && raw[last - 1] == ' ')
		last--;
	if (dcm_ae_problem(raw + first, last - first))
		return DCM_F_AE_TITLE;
	memcpy(out, raw + first, last - first);
	out[last - first] = '\0';
	return DCM_OK;
}
