/* A judged A-ASSOCIATE-RQ/AC kept for the engine to send again. While an
 * RQ/AC is incomplete the engine acknowledges its segments in the
 * receiver's name; once they are released the sender will not send them
 * again, so a copy lost on the receiver's link must come from here. The
 * copy is the pool buffer the PDU was judged in, header apart: nothing
 * is copied, and only what was inspected and allowed can be read. */
#include <string.h>

#include "internal.h"

void dcm_sent_keep(struct dcm_assoc *a, enum dcm_dir dir)
{
	a->keep_next[dir] = 1;
}

int dcm_sent_take(struct dcm_assoc *a, enum dcm_dir d)
{
	if (!a->keep_next[d])
		return 0;
	dcm_sent_forget(a);
	a->sent = a->buf;
	a->sent_len = a->dir[d].have;
	memcpy(a->sent_hdr, a->dir[d].hdr, sizeof(a->sent_hdr));
	a->sent_dir = (uint8_t)d;
	return 1;
}

size_t dcm_sent_len(const struct dcm_assoc *a, enum dcm_dir dir)
{
	return a->sent && a->sent_dir == dir ? DCM_PDU_HDR + (size_t)a->sent_len : 0;
}

size_t dcm_sent_copy(const struct dcm_assoc *a, enum dcm_dir dir, size_t off, uint8_t *dst,
		     size_t n)
{
	size_t len = dcm_sent_len(a, dir), done = 0, k;

	if (off >= len)
		return 0;
	if (n > len - off)
		n = len - off;
	if (off < DCM_PDU_HDR) {
		k = DCM_PDU_HDR - off < n ? DCM_PDU_HDR - off : n;
		memcpy(dst, a->sent_hdr + off, k);
		done = k;
		off += k;
	}
	if (done < n)
		memcpy(dst + done, a->sent + (off - DCM_PDU_HDR), n - done);
	return n;
}

void dcm_sent_forget(struct dcm_assoc *a)
{
	if (!a->sent)
		return;
	dcm_pool_buf_put(a->pool, a->sent);
	a->sent = NULL;
}
