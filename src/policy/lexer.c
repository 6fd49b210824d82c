/* Tokens of the policy language. The policy arrives in a signed bundle but
 * is still read as untrusted text (and fuzzed): every byte goes through the
 * cursor, and only printable ASCII reaches a token, so whatever a message
 * or the printed policy quotes is safe on a serial console. */
#include <string.h>

#include "pol_int.h"

void lex_init(struct lexer *lx, const char *text, size_t len, struct pol_diag *d)
{
	cur_init(&lx->c, text, len);
	lx->line = 1;
	lx->col = 1;
	lx->diag = d;
}

bool tok_is(const struct tok *t, const char *word)
{
	return t->kind == TK_WORD && strlen(word) == t->len && memcmp(t->s, word, t->len) == 0;
}

/* -1 at the end of the text. */
static int peek(const struct lexer *lx, size_t ahead)
{
	if (cur_left(&lx->c) <= ahead)
		return -1;
	return cur_pos(&lx->c)[ahead];
}

static void advance(struct lexer *lx)
{
	uint8_t ch;

	if (cur_u8(&lx->c, &ch) < 0)
		return;
	if (ch == '\n') {
		lx->line++;
		lx->col = 1;
	} else {
		lx->col++;
	}
}

static bool is_word_byte(int ch)
{
	return ch > 0x20 && ch < 0x7f && ch != ',' && ch != '"' && ch != '#';
}

/* A backslash at the very end of a line continues the statement. */
static bool at_continuation(const struct lexer *lx)
{
	return peek(lx, 0) == '\\' &&
	       (peek(lx, 1) == '\n' || (peek(lx, 1) == '\r' && peek(lx, 2) == '\n'));
}

static void skip_blanks(struct lexer *lx)
{
	for (;;) {
		int ch = peek(lx, 0);

		if (ch == ' ' || ch == '\t' || ch == '\r') {
			advance(lx);
		} else if (ch == '#') {
			while (peek(lx, 0) >= 0 && peek(lx, 0) != '\n')
				advance(lx);
		} else if (at_continuation(lx)) {
			while (peek(lx, 0) != '\n')
				advance(lx);
			advance(lx);
		} else if (ch >= 0 && ch != '\n' && !is_word_byte(ch) && ch != ',' && ch != '"') {
			diag_err(lx->diag, lx->line, lx->col, "invalid byte 0x%02x", (unsigned)ch);
			advance(lx);
		} else {
			return;
		}
	}
}

static void lex_string(struct lexer *lx, struct tok *t)
{
	bool bad = false;
	size_t start;
	int ch;

	advance(lx);
	start = lx->c.off;
	t->s = cur_left(&lx->c) ? (const char *)cur_pos(&lx->c) : "";
	while ((ch = peek(lx, 0)) >= 0 && ch != '"' && ch != '\n') {
		if ((ch < 0x20 || ch > 0x7e) && !bad) {
			diag_err(lx->diag, lx->line, lx->col,
				 "invalid byte 0x%02x in string (printable ASCII only)", (unsigned)ch);
			bad = true;
		}
		advance(lx);
	}
	t->len = lx->c.off - start;
	if (ch == '"')
		advance(lx);
	else
		diag_err(lx->diag, t->line, t->col, "unterminated string");
}

void lex_next(struct lexer *lx, struct tok *t)
{
	int ch;

	skip_blanks(lx);
	t->line = lx->line;
	t->col = lx->col;
	t->s = cur_left(&lx->c) ? (const char *)cur_pos(&lx->c) : "";
	t->len = 0;
	ch = peek(lx, 0);
	if (ch < 0) {
		t->kind = TK_EOF;
	} else if (ch == '\n') {
		t->kind = TK_NL;
		advance(lx);
	} else if (ch == ',') {
		t->kind = TK_COMMA;
		t->len = 1;
		advance(lx);
	} else if (ch == '"') {
		t->kind = TK_STRING;
		lex_string(lx, t);
	} else {
		t->kind = TK_WORD;
		while (is_word_byte(peek(lx, 0)) && !at_continuation(lx)) {
			advance(lx);
			t->len++;
		}
	}
}
