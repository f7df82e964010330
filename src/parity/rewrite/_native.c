/* parity.rewrite._native: the compiled serialized scanner of the rewrite engine.
 *
 * parse(data, start, end) -> [(kind, digits, start, end), ...] is
 * parity.rewrite.serialized.parse() in C: it reads one PHP-serialized value the way
 * PHP 8's unserialize() does, with an explicit stack (no recursion, any depth), checks
 * every token (lengths, counts, class names, references as PHP numbers them) and
 * returns where every string-like token is. On a value PHP would refuse it raises
 * Malformed(reason, offset) with the pure scanner's reason and offset. The pure module
 * is the reference: tests/unit/rewrite/test_rewrite_native.py requires the same output.
 *
 * quick_serialized(...) is the engine's direct path for a serialized value (its
 * _Pass.quick): scan, find the string tokens that hold an anchor, replace every needle
 * in them (leftmost, longest first, never overlapping: Matcher.replace) and fix their
 * lengths; None whenever a touched token is not plain text (the Python readers then
 * take over, with the same result).
 *
 * json_document(...) is the one-pass rewrite of a JSON document (Matcher's
 * replace_json_document) for the Python readers.
 *
 * engine(...) makes the compiled Rewriter.rewrite of one Rewriter (Engine.rewrite, below):
 * the whole per-value rewrite in C for the common shapes, the rest handed to Python.
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum { VALUE = 0, KEY = 1, PROPERTY = 2, CLASS_NAME = 3, ENUM = 4, ESCAPED = 5, PAYLOAD = 6 };

static PyObject *Malformed;

typedef struct {
    Py_ssize_t kind, digits, start, end;
} Site;

typedef struct {
    const unsigned char *d;
    Py_ssize_t limit;
    Py_ssize_t len; /* the whole buffer: class names are checked as far as it goes */
    PyObject *sites; /* a list of tuples, or NULL: then csites */
    Site *csites;
    Py_ssize_t ncsites, csites_cap;
    /* references: values numbered so far, and which are objects (a bitmap) */
    Py_ssize_t slots;
    unsigned char *objects;
    Py_ssize_t objects_cap;
    int lenient;
    const char *reason;
    Py_ssize_t offset;
    char reason_buf[96];
} Scan;

#define BIG ((Py_ssize_t)1 << 60)

static int fail(Scan *s, const char *reason, Py_ssize_t offset) {
    s->reason = reason;
    s->offset = offset;
    return -1;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Digits at *pos (at least one): their value, saturated; -1 if none. */
static Py_ssize_t digits(const Scan *s, Py_ssize_t *pos) {
    Py_ssize_t p = *pos, v = 0;
    if (p >= s->limit || !is_digit(s->d[p])) return -1;
    while (p < s->limit && is_digit(s->d[p])) {
        v = v <= (BIG - 9) / 10 ? v * 10 + (s->d[p] - '0') : BIG; /* no overflow */
        p++;
    }
    *pos = p;
    return v;
}

static int add_site(Scan *s, int kind, Py_ssize_t dig, Py_ssize_t start, Py_ssize_t end) {
    if (s->sites == NULL) {
        if (s->ncsites == s->csites_cap) {
            Py_ssize_t cap = s->csites_cap ? s->csites_cap * 2 : 64;
            Site *grown = PyMem_Realloc(s->csites, (size_t)cap * sizeof(Site));
            if (grown == NULL) {
                PyErr_NoMemory();
                return -2;
            }
            s->csites = grown;
            s->csites_cap = cap;
        }
        Site *site = &s->csites[s->ncsites++];
        site->kind = kind;
        site->digits = dig;
        site->start = start;
        site->end = end;
        return 0;
    }
    PyObject *t = Py_BuildValue("(innn)", kind, dig, start, end);
    if (t == NULL) return -2;
    int r = PyList_Append(s->sites, t);
    Py_DECREF(t);
    return r == 0 ? 0 : -2;
}

static int mark_object(Scan *s) {
    Py_ssize_t n = s->slots;
    if (n >= s->objects_cap) {
        Py_ssize_t cap = s->objects_cap ? s->objects_cap : 64;
        while (cap <= n) cap *= 2;
        unsigned char *grown = PyMem_Realloc(s->objects, (size_t)cap);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -2;
        }
        memset(grown + s->objects_cap, 0, (size_t)(cap - s->objects_cap));
        s->objects = grown;
        s->objects_cap = cap;
    }
    s->objects[n] = 1;
    return 0;
}

/* i:[+-]?\d+;  at pos (pos at 'i'); returns the offset past it or -1. */
static Py_ssize_t int_token(const Scan *s, Py_ssize_t pos) {
    Py_ssize_t p = pos + 2;
    if (p > s->limit || s->d[pos + 1] != ':') return -1;
    if (p < s->limit && (s->d[p] == '+' || s->d[p] == '-')) p++;
    if (digits(s, &p) < 0) return -1;
    if (p >= s->limit || s->d[p] != ';') return -1;
    return p + 1;
}

/* d:FLOAT;  FLOAT = [+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)? | NAN | -?INF */
static Py_ssize_t float_token(const Scan *s, Py_ssize_t pos) {
    const unsigned char *d = s->d;
    Py_ssize_t lim = s->limit, p = pos + 2;
    if (pos + 1 >= lim || d[pos + 1] != ':') return -1;
    Py_ssize_t q = p;
    if (q < lim && (d[q] == '+' || d[q] == '-')) q++;
    int ok = 0;
    if (q < lim && is_digit(d[q])) {
        while (q < lim && is_digit(d[q])) q++;
        if (q < lim && d[q] == '.') {
            q++;
            while (q < lim && is_digit(d[q])) q++;
        }
        ok = 1;
    } else if (q + 1 < lim && d[q] == '.' && is_digit(d[q + 1])) {
        q++;
        while (q < lim && is_digit(d[q])) q++;
        ok = 1;
    }
    if (ok) {
        if (q < lim && (d[q] == 'e' || d[q] == 'E')) {
            Py_ssize_t e = q + 1;
            if (e < lim && (d[e] == '+' || d[e] == '-')) e++;
            if (e < lim && is_digit(d[e])) {
                while (e < lim && is_digit(d[e])) e++;
                q = e;
            }
        }
        if (q < lim && d[q] == ';') return q + 1;
    }
    if (p + 4 <= lim && memcmp(d + p, "NAN;", 4) == 0) return p + 4;
    if (p + 4 <= lim && memcmp(d + p, "INF;", 4) == 0) return p + 4;
    if (p + 5 <= lim && memcmp(d + p, "-INF;", 5) == 0) return p + 5;
    return -1;
}

/* X:N:"  head (pos at X); sets *len and returns the offset of the content, or -1. */
static Py_ssize_t counted_head(const Scan *s, Py_ssize_t pos, char open, Py_ssize_t *len) {
    Py_ssize_t p = pos + 2;
    if (pos + 1 >= s->limit || s->d[pos + 1] != ':') return -1;
    Py_ssize_t n = digits(s, &p);
    if (n < 0 || p + 1 >= s->limit || s->d[p] != ':' || s->d[p + 1] != (unsigned char)open)
        return -1;
    *len = n;
    return p + 2;
}

/* A string's content of declared length n at start: its end, or -1 (reason set). */
static Py_ssize_t string_end(Scan *s, Py_ssize_t start, Py_ssize_t n) {
    Py_ssize_t end = start + n;
    if (n > s->limit || end + 2 > s->limit) {
        PyOS_snprintf(s->reason_buf, sizeof s->reason_buf,
                      "string of declared length %zd runs past the end", n);
        fail(s, s->reason_buf, start);
        return -1;
    }
    if (s->d[end] != '"' || s->d[end + 1] != ';') {
        PyOS_snprintf(s->reason_buf, sizeof s->reason_buf,
                      "string of declared length %zd does not end with a quote", n);
        fail(s, s->reason_buf, start);
        return -1;
    }
    return end;
}

static int class_ok(const Scan *s, Py_ssize_t start, Py_ssize_t end) {
    if (end <= start) return 0;
    for (Py_ssize_t i = start; i < end; i++) {
        unsigned char c = s->d[i];
        if (!(is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
              c == '\\' || c >= 0x7f))
            return 0;
    }
    return 1;
}

/* ":N:{  after a class name at p: the count, and *after the offset past '{'; -1 if not. */
static Py_ssize_t count_tail(const Scan *s, Py_ssize_t p, Py_ssize_t *after) {
    if (p + 1 >= s->limit || s->d[p] != '"' || s->d[p + 1] != ':') return -1;
    p += 2;
    Py_ssize_t n = digits(s, &p);
    if (n < 0 || p + 1 >= s->limit || s->d[p] != ':' || s->d[p + 1] != '{') return -1;
    *after = p + 2;
    return n;
}

static Py_ssize_t escaped(Scan *s, Py_ssize_t pos) {
    Py_ssize_t n;
    Py_ssize_t start = counted_head(s, pos, '"', &n);
    if (start < 0) return fail(s, "invalid escaped string", pos);
    Py_ssize_t cursor = start;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (cursor >= s->limit) return fail(s, "escaped string is truncated", pos);
        cursor += s->d[cursor] == '\\' ? 3 : 1;
    }
    if (cursor + 2 > s->limit || s->d[cursor] != '"' || s->d[cursor + 1] != ';')
        return fail(s, "escaped string does not end with a quote", pos);
    if (add_site(s, ESCAPED, pos + 2, start, cursor) < 0) return -2;
    return cursor + 2;
}

static const char *bad_value(unsigned char c) {
    switch (c) {
        case 's': return "invalid s value";
        case 'i': return "invalid i value";
        case 'd': return "invalid d value";
        case 'b': return "invalid b value";
        case 'r': return "invalid r value";
        case 'R': return "invalid R value";
        case 'N': return "invalid N value";
        default: return "unknown token";
    }
}

typedef struct {
    Py_ssize_t left; /* tokens still expected: 2 per element */
    int key_kind;
} Frame;

/* Scan one value at pos; the offset past it, -1 (Malformed: s->reason) or -2 (error). */
static Py_ssize_t scan(Scan *s, Py_ssize_t pos) {
    const unsigned char *d = s->d;
    const Py_ssize_t lim = s->limit;
    Frame *stack = NULL;
    Py_ssize_t depth = 0, cap = 0;
    Py_ssize_t result = -1;
    int r;

#define FAIL(reason, at) do { fail(s, (reason), (at)); goto done; } while (0)
#define CHECK(x) do { if ((x) < 0) { result = (x) == -2 ? -2 : -1; goto done_keep; } } while (0)

    for (;;) {
        if (depth) {
            Frame *top = &stack[depth - 1];
            if (!(top->left & 1)) {
                if (top->left == 0) {
                    if (pos >= lim) FAIL("value is truncated", pos);
                    if (d[pos] != '}') FAIL("container holds more elements than its count", pos);
                    pos++;
                    depth--;
                    if (!depth) { result = pos; goto done; }
                    stack[depth - 1].left--;
                    continue;
                }
                /* a key */
                if (pos < lim && d[pos] == 's') {
                    Py_ssize_t n;
                    Py_ssize_t start = counted_head(s, pos, '"', &n);
                    if (start >= 0) {
                        Py_ssize_t end = string_end(s, start, n);
                        if (end < 0) goto done;
                        r = add_site(s, top->key_kind, pos + 2, start, end);
                        if (r < 0) { result = -2; goto done; }
                        pos = end + 2;
                        top->left--;
                        continue;
                    }
                    FAIL("invalid array key", pos);
                }
                if (pos < lim && d[pos] == 'i') {
                    Py_ssize_t next = int_token(s, pos);
                    if (next < 0) FAIL("invalid array key", pos);
                    pos = next;
                    top->left--;
                    continue;
                }
                if (pos < lim && d[pos] == 'S') {
                    Py_ssize_t next = escaped(s, pos);
                    CHECK(next);
                    pos = next;
                    top->left--;
                    continue;
                }
                if (pos >= lim) FAIL("value is truncated", pos);
                if (d[pos] == '}') FAIL("container holds fewer elements than its count", pos);
                FAIL("array key is neither an integer nor a string", pos);
            }
        }
        /* a value */
        if (pos >= lim) FAIL("value is truncated", pos);
        s->slots++;
        unsigned char c = d[pos];
        Py_ssize_t next = -1;
        switch (c) {
            case 's': {
                Py_ssize_t n;
                Py_ssize_t start = counted_head(s, pos, '"', &n);
                if (start < 0) FAIL("invalid s value", pos);
                Py_ssize_t end = string_end(s, start, n);
                if (end < 0) goto done;
                if (add_site(s, VALUE, pos + 2, start, end) < 0) { result = -2; goto done; }
                next = end + 2;
                break;
            }
            case 'i':
                next = int_token(s, pos);
                if (next < 0) FAIL("invalid i value", pos);
                break;
            case 'b':
                if (pos + 3 < lim && d[pos + 1] == ':' && (d[pos + 2] == '0' || d[pos + 2] == '1') &&
                    d[pos + 3] == ';')
                    next = pos + 4;
                else
                    FAIL("invalid b value", pos);
                break;
            case 'N':
                if (pos + 1 < lim && d[pos + 1] == ';') next = pos + 2;
                else FAIL("invalid N value", pos);
                break;
            case 'd':
                next = float_token(s, pos);
                if (next < 0) FAIL("invalid d value", pos);
                break;
            case 'a': {
                Py_ssize_t p = pos + 2, n;
                if (pos + 1 >= lim || d[pos + 1] != ':' || (n = digits(s, &p)) < 0 || p + 1 >= lim ||
                    d[p] != ':' || d[p + 1] != '{')
                    FAIL("invalid array", pos);
                if (depth == cap) {
                    cap = cap ? cap * 2 : 32;
                    Frame *grown = PyMem_Realloc(stack, (size_t)cap * sizeof(Frame));
                    if (grown == NULL) { PyErr_NoMemory(); result = -2; goto done; }
                    stack = grown;
                }
                stack[depth].left = n >= BIG / 2 ? BIG : 2 * n;
                stack[depth].key_kind = KEY;
                depth++;
                pos = p + 2;
                continue;
            }
            case 'O': {
                Py_ssize_t n, after;
                Py_ssize_t start = counted_head(s, pos, '"', &n);
                if (start < 0) FAIL("invalid object", pos);
                Py_ssize_t end = start + n;
                /* as the pure scanner: the name's bytes up to the end of the data */
                if (!class_ok(s, start, n > s->len || end > s->len ? s->len : end))
                    FAIL("invalid class name", pos);
                Py_ssize_t count = count_tail(s, end, &after);
                if (count < 0) FAIL("object class name length or count is wrong", pos);
                if (add_site(s, CLASS_NAME, pos + 2, start, end) < 0) { result = -2; goto done; }
                if (mark_object(s) < 0) { result = -2; goto done; }
                if (depth == cap) {
                    cap = cap ? cap * 2 : 32;
                    Frame *grown = PyMem_Realloc(stack, (size_t)cap * sizeof(Frame));
                    if (grown == NULL) { PyErr_NoMemory(); result = -2; goto done; }
                    stack = grown;
                }
                stack[depth].left = count >= BIG / 2 ? BIG : 2 * count;
                stack[depth].key_kind = PROPERTY;
                depth++;
                pos = after;
                continue;
            }
            case 'C': {
                Py_ssize_t n, body;
                Py_ssize_t start = counted_head(s, pos, '"', &n);
                if (start < 0) FAIL("invalid custom object", pos);
                Py_ssize_t end = start + n;
                /* as the pure scanner: the name's bytes up to the end of the data */
                if (!class_ok(s, start, n > s->len || end > s->len ? s->len : end))
                    FAIL("invalid class name", pos);
                Py_ssize_t size = count_tail(s, end, &body);
                if (size < 0) FAIL("custom object class name length is wrong", pos);
                if (add_site(s, CLASS_NAME, pos + 2, start, end) < 0) { result = -2; goto done; }
                Py_ssize_t body_end = body + size;
                if (size >= lim || body_end >= lim || d[body_end] != '}')
                    FAIL("custom object payload length is wrong", pos);
                if (add_site(s, PAYLOAD, end + 2, body, body_end) < 0) { result = -2; goto done; }
                s->lenient = 1;
                next = body_end + 1;
                break;
            }
            case 'E': {
                Py_ssize_t n;
                Py_ssize_t start = counted_head(s, pos, '"', &n);
                if (start < 0) FAIL("invalid enum", pos);
                Py_ssize_t end = start + n;
                if (n > lim || end + 2 > lim || d[end] != '"' || d[end + 1] != ';' ||
                    memchr(d + start, ':', (size_t)n) == NULL)
                    FAIL("invalid enum case", pos);
                if (add_site(s, ENUM, pos + 2, start, end) < 0) { result = -2; goto done; }
                if (mark_object(s) < 0) { result = -2; goto done; }
                next = end + 2;
                break;
            }
            case 'S':
                next = escaped(s, pos);
                CHECK(next);
                break;
            case 'r':
            case 'R': {
                Py_ssize_t p = pos + 2;
                if (pos + 1 >= lim || d[pos + 1] != ':') FAIL(bad_value(c), pos);
                int sign = p < lim && (d[p] == '+' || d[p] == '-');
                if (sign) p++;
                Py_ssize_t target = digits(s, &p);
                if (target < 0 || p >= lim || d[p] != ';') FAIL(bad_value(c), pos);
                if (sign) FAIL("reference with a sign", pos);
                if (c == 'R') s->slots--; /* R: takes no number of its own */
                if (!s->lenient) {
                    if (target < 1 || target > s->slots || (c == 'r' && target == s->slots))
                        FAIL("reference to a value that does not exist", pos);
                    if (c == 'r' && (target >= s->objects_cap || !s->objects[target]))
                        FAIL("r: reference to a value that is not an object", pos);
                }
                next = p + 1;
                break;
            }
            default:
                FAIL(bad_value(c), pos);
        }
        pos = next;
        if (!depth) { result = pos; goto done; }
        stack[depth - 1].left--;
    }
done:
    /* result stays -1 on a Malformed failure */
    ;
done_keep:
    PyMem_Free(stack);
    return result;
#undef FAIL
#undef CHECK
}

static PyObject *native_parse(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer buf;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "y*nn", &buf, &start, &end)) return NULL;
    if (start < 0 || end > buf.len || start > end) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "start and end must lie inside the data");
        return NULL;
    }
    Scan s;
    memset(&s, 0, sizeof s);
    s.d = (const unsigned char *)buf.buf;
    s.limit = end;
    s.len = buf.len;
    s.sites = PyList_New(0);
    if (s.sites == NULL) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    Py_ssize_t pos = scan(&s, start);
    PyMem_Free(s.objects);
    PyBuffer_Release(&buf);
    if (pos == -2 || (pos < 0 && s.reason == NULL)) {
        Py_DECREF(s.sites);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "scanner failed");
        return NULL;
    }
    if (pos >= 0 && pos != end) fail(&s, "unexpected bytes after the value", pos);
    if (s.reason != NULL && (pos < 0 || pos != end)) {
        Py_DECREF(s.sites);
        PyObject *exc_args = Py_BuildValue("(sn)", s.reason, s.offset);
        if (exc_args != NULL) {
            PyErr_SetObject(Malformed, exc_args);
            Py_DECREF(exc_args);
        }
        return NULL;
    }
    return s.sites;
}

/* ---- the direct path ------------------------------------------------------------ */

static int site_cmp_start(const void *a, const void *b) {
    Py_ssize_t x = ((const Py_ssize_t *)a)[0], y = ((const Py_ssize_t *)b)[0];
    return x < y ? -1 : x > y;
}

static int is_trim(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' || c == 0x0b;
}

/* _Pass.is_plain (without base64): would the readers take this string as plain text? */
static int is_plain(const unsigned char *d, Py_ssize_t n) {
    if (n == 0) return 1;
    unsigned char c = d[0];
    if (c == '{' || c == '[' || is_trim(c)) return 0;
    if (!strchr("NbidsSaOCE", c)) return 1;
    /* looks_serialized: the first byte is not whitespace, so only the end is trimmed */
    Py_ssize_t end = n;
    while (end > 0 && is_trim(d[end - 1])) end--;
    if (end < 2) return 1;
    if (c == 'N') return !(end == 2 && d[1] == ';');
    if (d[1] != ':') return 1;
    if (c == 'b' || c == 'i' || c == 'd') {
        if (d[end - 1] != ';' || end - 3 > 400) return 1;
        return memchr(d + 2, ';', (size_t)(end - 3)) != NULL;
    }
    Py_ssize_t p = 2;
    if (p >= end || !is_digit(d[p])) return 1;
    while (p < end && is_digit(d[p])) p++;
    if (p + 1 >= end || d[p] != ':') return 1;
    return d[p + 1] != (c == 'a' ? '{' : '"');
}

typedef struct {
    Py_ssize_t n;
    const char **data;
    Py_ssize_t *len;
    const char **rep;
    Py_ssize_t *rep_len;
    int *kept;
} Needles;

/* Replace every needle in d[0:n] (Matcher.replace); out gets the new bytes appended.
 * Returns the number of replacements made (kept needles are passed over), -1 on error. */
static Py_ssize_t replace_all(const Needles *nd, const char *d, Py_ssize_t n, Py_ssize_t *next,
                              Py_ssize_t *counts, PyObject **out_piece) {
    Py_ssize_t k = nd->n, made = 0;
    for (Py_ssize_t i = 0; i < k; i++) {
        const char *hit = memmem(d, (size_t)n, nd->data[i], (size_t)nd->len[i]);
        next[i] = hit ? hit - d : -1;
    }
    /* a first pass to size the output */
    Py_ssize_t cursor = 0, size = 0;
    int any = 0;
    for (int pass = 0; pass < 2; pass++) {
        char *w = NULL;
        if (pass == 1) {
            if (!any) return 0;
            *out_piece = PyBytes_FromStringAndSize(NULL, size);
            if (*out_piece == NULL) return -1;
            w = PyBytes_AS_STRING(*out_piece);
            for (Py_ssize_t i = 0; i < k; i++) {
                const char *hit = memmem(d, (size_t)n, nd->data[i], (size_t)nd->len[i]);
                next[i] = hit ? hit - d : -1;
            }
        }
        cursor = 0;
        size = 0;
        for (;;) {
            Py_ssize_t best = -1, where = -1;
            for (Py_ssize_t i = 0; i < k; i++) {
                if (next[i] >= 0 && next[i] < cursor) {
                    const char *hit = memmem(d + cursor, (size_t)(n - cursor), nd->data[i],
                                             (size_t)nd->len[i]);
                    next[i] = hit ? hit - d : -1;
                }
                if (next[i] >= 0 && (where < 0 || next[i] < where)) {
                    where = next[i];
                    best = i; /* needles are longest first: the first at a position wins */
                }
            }
            if (best < 0) break;
            Py_ssize_t gap = where - cursor;
            if (nd->kept[best]) {
                if (w) memcpy(w + size, d + cursor, (size_t)(gap + nd->len[best]));
                size += gap + nd->len[best];
            } else {
                if (w) {
                    memcpy(w + size, d + cursor, (size_t)gap);
                    memcpy(w + size + gap, nd->rep[best], (size_t)nd->rep_len[best]);
                    counts[best]++;
                    made++;
                }
                size += gap + nd->rep_len[best];
                any = 1;
            }
            cursor = where + nd->len[best];
        }
        if (w) memcpy(w + size, d + cursor, (size_t)(n - cursor));
        size += n - cursor;
    }
    return made;
}

static int load_needles(PyObject *needles, PyObject *reps, PyObject *kept, Needles *nd) {
    Py_ssize_t k = PyTuple_GET_SIZE(needles);
    nd->n = k;
    nd->data = PyMem_Calloc((size_t)k + 1, sizeof(char *));
    nd->len = PyMem_Calloc((size_t)k + 1, sizeof(Py_ssize_t));
    nd->rep = PyMem_Calloc((size_t)k + 1, sizeof(char *));
    nd->rep_len = PyMem_Calloc((size_t)k + 1, sizeof(Py_ssize_t));
    nd->kept = PyMem_Calloc((size_t)k + 1, sizeof(int));
    if (!nd->data || !nd->len || !nd->rep || !nd->rep_len || !nd->kept) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *a = PyTuple_GET_ITEM(needles, i), *b = PyTuple_GET_ITEM(reps, i);
        if (!PyBytes_Check(a) || !PyBytes_Check(b) || PyBytes_GET_SIZE(a) == 0) {
            PyErr_SetString(PyExc_TypeError, "needles and replacements must be non-empty bytes");
            return -1;
        }
        nd->data[i] = PyBytes_AS_STRING(a);
        nd->len[i] = PyBytes_GET_SIZE(a);
        nd->rep[i] = PyBytes_AS_STRING(b);
        nd->rep_len[i] = PyBytes_GET_SIZE(b);
        nd->kept[i] = PyObject_IsTrue(PyTuple_GET_ITEM(kept, i));
    }
    return 0;
}

static void free_needles(Needles *nd) {
    PyMem_Free(nd->data);
    PyMem_Free(nd->len);
    PyMem_Free(nd->rep);
    PyMem_Free(nd->rep_len);
    PyMem_Free(nd->kept);
}

/* The trimmed span of d[0:n] if it looks like one serialized value (looks_serialized). */
static int looks_serialized(const unsigned char *d, Py_ssize_t n, Py_ssize_t *start,
                            Py_ssize_t *end) {
    Py_ssize_t a = 0, b = n;
    while (a < b && is_trim(d[a])) a++;
    while (b > a && is_trim(d[b - 1])) b--;
    if (b - a < 2 || strchr("NbidsSaOCE", d[a]) == NULL || d[a] == '\0') return 0;
    if (is_plain(d + a, b - a)) return 0;
    *start = a;
    *end = b;
    return 1;
}

typedef struct {
    Py_ssize_t n;
    const char **data;
    Py_ssize_t *len;
} Anchors;

#define MAX_NESTING 64

/* The direct path for the serialized value d[start:end] of d[0:len].
 * Returns 0: decline (the Python readers take over), 1: unchanged, 2: changed (*out is
 * the new d[0:len]), -1: a Python error. */
static int quick_core(const char *d, Py_ssize_t len, Py_ssize_t start, Py_ssize_t end,
                      const Anchors *an, const Needles *nd, Py_ssize_t *next, Py_ssize_t *counts,
                      int nesting, PyObject **out) {
    int status = -1;
    Py_ssize_t *spans = NULL, nspans = 0, spans_cap = 0;
    Site *sites = NULL, *touched = NULL;
    PyObject **pieces = NULL;
    Py_ssize_t npieces = 0;

    /* 1. where the anchors are */
    for (Py_ssize_t a = 0; a < an->n; a++) {
        Py_ssize_t al = an->len[a], pos = 0;
        for (;;) {
            const char *hit = memmem(d + pos, (size_t)(len - pos), an->data[a], (size_t)al);
            if (hit == NULL) break;
            if (nspans == spans_cap) {
                spans_cap = spans_cap ? spans_cap * 2 : 16;
                Py_ssize_t *grown = PyMem_Realloc(spans, (size_t)spans_cap * 2 * sizeof(Py_ssize_t));
                if (!grown) { PyErr_NoMemory(); goto out; }
                spans = grown;
            }
            spans[2 * nspans] = hit - d;
            spans[2 * nspans + 1] = hit - d + al;
            nspans++;
            pos = hit - d + 1;
        }
    }
    if (nspans == 0) { status = 1; goto out; }
    qsort(spans, (size_t)nspans, 2 * sizeof(Py_ssize_t), site_cmp_start);

    /* 2. scan (a value PHP would refuse: decline, the readers report it) */
    Scan s;
    memset(&s, 0, sizeof s);
    s.d = (const unsigned char *)d;
    s.limit = end;
    s.len = len;
    Py_ssize_t stop = scan(&s, start);
    PyMem_Free(s.objects);
    sites = s.csites;
    if (stop == -2) goto out;
    if (stop < 0 || stop != end) { status = 0; goto out; }
    Py_ssize_t nsites = s.ncsites;
    touched = PyMem_Malloc((size_t)(nsites + 1) * sizeof(Site));
    if (!touched) { PyErr_NoMemory(); goto out; }

    /* 3. the sites that fully hold a span (sites_touching), in order */
    Py_ssize_t ntouched = 0, last_index = -1, si = 0;
    for (Py_ssize_t k = 0; k < nspans; k++) {
        Py_ssize_t ss = spans[2 * k], se = spans[2 * k + 1];
        while (si < nsites && sites[si].start <= ss) si++;
        Py_ssize_t index = si - 1;
        if (index >= 0 && se <= sites[index].end && index != last_index) {
            touched[ntouched++] = sites[index];
            last_index = index;
        }
    }
    for (Py_ssize_t t = 0; t < ntouched; t++)
        if (touched[t].kind != VALUE && touched[t].kind != KEY) { status = 0; goto out; }

    /* 4. replace in each (plain text, or a serialized value read the same way), then
     * splice with the lengths fixed */
    pieces = PyMem_Calloc((size_t)ntouched + 1, sizeof(PyObject *));
    if (!pieces) { PyErr_NoMemory(); goto out; }
    npieces = ntouched;
    Py_ssize_t changed = 0, grow = 0;
    for (Py_ssize_t t = 0; t < ntouched; t++) {
        const char *content = d + touched[t].start;
        Py_ssize_t n = touched[t].end - touched[t].start, inner_start, inner_end;
        if (is_plain((const unsigned char *)content, n)) {
            if (replace_all(nd, content, n, next, counts, &pieces[t]) < 0) goto out;
        } else if (nesting < MAX_NESTING &&
                   looks_serialized((const unsigned char *)content, n, &inner_start, &inner_end)) {
            int inner = quick_core(content, n, inner_start, inner_end, an, nd, next, counts,
                                   nesting + 1, &pieces[t]);
            if (inner <= 0) { status = inner; goto out; }
        } else {
            status = 0;
            goto out;
        }
        if (pieces[t] != NULL) {
            changed++;
            grow += PyBytes_GET_SIZE(pieces[t]) + 24;
        }
    }
    if (!changed) { status = 1; goto out; }
    PyObject *joined = PyBytes_FromStringAndSize(NULL, len + grow);
    if (!joined) goto out;
    char *w = PyBytes_AS_STRING(joined);
    Py_ssize_t size = 0, last = 0;
    for (Py_ssize_t t = 0; t < ntouched; t++) {
        if (pieces[t] == NULL) continue;
        Site *site = &touched[t];
        memcpy(w + size, d + last, (size_t)(site->digits - last));
        size += site->digits - last;
        size += sprintf(w + size, "%zd", PyBytes_GET_SIZE(pieces[t]));
        memcpy(w + size, d + site->start - 2, 2);
        size += 2;
        memcpy(w + size, PyBytes_AS_STRING(pieces[t]), (size_t)PyBytes_GET_SIZE(pieces[t]));
        size += PyBytes_GET_SIZE(pieces[t]);
        last = site->end;
    }
    memcpy(w + size, d + last, (size_t)(len - last));
    size += len - last;
    if (_PyBytes_Resize(&joined, size) < 0) goto out;
    *out = joined;
    status = 2;
out:
    if (pieces)
        for (Py_ssize_t t = 0; t < npieces; t++) Py_XDECREF(pieces[t]);
    PyMem_Free(spans);
    PyMem_Free(sites);
    PyMem_Free(touched);
    PyMem_Free(pieces);
    return status;
}

/* quick_serialized(data, start, end, anchors, needles, replacements, kept)
 *   -> None, or (new data or data itself, counts per needle) */
static PyObject *native_quick_serialized(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *data_obj, *anchors, *needles, *reps, *kept;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "SnnO!O!O!O!", &data_obj, &start, &end, &PyTuple_Type, &anchors,
                          &PyTuple_Type, &needles, &PyTuple_Type, &reps, &PyTuple_Type, &kept))
        return NULL;
    Py_ssize_t len = PyBytes_GET_SIZE(data_obj);
    if (start < 0 || end > len || start > end || PyTuple_GET_SIZE(needles) != PyTuple_GET_SIZE(reps) ||
        PyTuple_GET_SIZE(needles) != PyTuple_GET_SIZE(kept)) {
        PyErr_SetString(PyExc_ValueError, "bad arguments");
        return NULL;
    }
    PyObject *result = NULL, *new_data = NULL;
    Py_ssize_t *counts = NULL, *next = NULL;
    Needles nd;
    memset(&nd, 0, sizeof nd);
    Anchors an;
    an.n = PyTuple_GET_SIZE(anchors);
    an.data = PyMem_Calloc((size_t)an.n + 1, sizeof(char *));
    an.len = PyMem_Calloc((size_t)an.n + 1, sizeof(Py_ssize_t));
    if (!an.data || !an.len) { PyErr_NoMemory(); goto out; }
    for (Py_ssize_t a = 0; a < an.n; a++) {
        PyObject *anchor = PyTuple_GET_ITEM(anchors, a);
        if (!PyBytes_Check(anchor) || PyBytes_GET_SIZE(anchor) == 0) {
            PyErr_SetString(PyExc_TypeError, "anchors must be non-empty bytes");
            goto out;
        }
        an.data[a] = PyBytes_AS_STRING(anchor);
        an.len[a] = PyBytes_GET_SIZE(anchor);
    }
    if (load_needles(needles, reps, kept, &nd) < 0) goto out;
    counts = PyMem_Calloc((size_t)nd.n + 1, sizeof(Py_ssize_t));
    next = PyMem_Calloc((size_t)nd.n + 1, sizeof(Py_ssize_t));
    if (!counts || !next) { PyErr_NoMemory(); goto out; }
    int status = quick_core(PyBytes_AS_STRING(data_obj), len, start, end, &an, &nd, next, counts,
                            0, &new_data);
    if (status < 0) goto out;
    if (status == 0) { result = Py_NewRef(Py_None); goto out; }
    if (status == 1) { result = Py_BuildValue("(ON)", data_obj, PyList_New(0)); goto out; }
    PyObject *counts_list = PyList_New(nd.n);
    if (!counts_list) goto out;
    for (Py_ssize_t i = 0; i < nd.n; i++) {
        PyObject *v = PyLong_FromSsize_t(counts[i]);
        if (!v) { Py_DECREF(counts_list); goto out; }
        PyList_SET_ITEM(counts_list, i, v);
    }
    result = Py_BuildValue("(ON)", new_data, counts_list);
out:
    Py_XDECREF(new_data);
    PyMem_Free(an.data);
    PyMem_Free(an.len);
    PyMem_Free(counts);
    PyMem_Free(next);
    free_needles(&nd);
    return result;
}

/* ---- JSON documents in one pass ---------------------------------------------------- */

static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* engine._NESTED_START at p: would a nested reader decode the literal starting here? */
static int nested_start(const unsigned char *d, Py_ssize_t n, Py_ssize_t p) {
    for (;;) {
        if (p < n && is_space(d[p])) { p++; continue; }
        if (p + 1 < n && d[p] == '\\' && (d[p + 1] == 'n' || d[p + 1] == 'r' || d[p + 1] == 't')) {
            p += 2;
            continue;
        }
        if (p + 6 <= n && (memcmp(d + p, "\\u000b", 6) == 0 || memcmp(d + p, "\\u0000", 6) == 0)) {
            p += 6;
            continue;
        }
        break;
    }
    if (p >= n) return 0;
    unsigned char c = d[p];
    if (c == '[' || c == '{') return 1;
    if (p + 1 >= n) return 0;
    if ((c == 'b' || c == 'i' || c == 'd') && d[p + 1] == ':') return 1;
    if (c == 'N' && d[p + 1] == ';') return 1;
    if (p + 2 < n && d[p + 1] == ':' && is_digit(d[p + 2]) && strchr("sSOCEa", c) != NULL) return 1;
    return 0;
}

/* A "\u" starting in [lo, hi) and ending by hi (bytes.rfind(b"\\u", lo, hi) >= 0). */
static int escape_u_in(const unsigned char *d, Py_ssize_t lo, Py_ssize_t hi) {
    if (lo < 0) lo = 0;
    for (Py_ssize_t p = lo; p + 2 <= hi; p++)
        if (d[p] == '\\' && d[p + 1] == 'u') return 1;
    return 0;
}

/* json_document(data, needles, replacements, kept) -> None or (new data, counts): the
 * matcher's replace_json_document for a JSON document with no escaped quote or
 * backslash, when no replacement needs the literal's style. */
static PyObject *native_json_document(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *data_obj, *needles, *reps, *kept;
    if (!PyArg_ParseTuple(args, "SO!O!O!", &data_obj, &PyTuple_Type, &needles, &PyTuple_Type, &reps,
                          &PyTuple_Type, &kept))
        return NULL;
    if (PyTuple_GET_SIZE(needles) != PyTuple_GET_SIZE(reps) ||
        PyTuple_GET_SIZE(needles) != PyTuple_GET_SIZE(kept)) {
        PyErr_SetString(PyExc_ValueError, "bad arguments");
        return NULL;
    }
    const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(data_obj);
    const char *dc = (const char *)d;
    Py_ssize_t n = PyBytes_GET_SIZE(data_obj);
    PyObject *result = NULL;
    Py_ssize_t *counts = NULL, *next = NULL;
    char *buf = NULL;
    Py_ssize_t size = 0, cap = 0;
    Needles nd;
    memset(&nd, 0, sizeof nd);
    if (load_needles(needles, reps, kept, &nd) < 0) goto out;
    Py_ssize_t k = nd.n;
    counts = PyMem_Calloc((size_t)k + 1, sizeof(Py_ssize_t));
    next = PyMem_Calloc((size_t)k + 1, sizeof(Py_ssize_t));
    if (!counts || !next) { PyErr_NoMemory(); goto out; }
    for (Py_ssize_t i = 0; i < k; i++) {
        const char *hit = memmem(dc, (size_t)n, nd.data[i], (size_t)nd.len[i]);
        next[i] = hit ? hit - dc : -1;
    }
    Py_ssize_t cursor = 0, last = 0, counted = 0, quotes = 0, made = 0;
    for (;;) {
        Py_ssize_t best = -1, where = -1;
        for (Py_ssize_t i = 0; i < k; i++) {
            if (next[i] >= 0 && next[i] < cursor) {
                const char *hit = memmem(dc + cursor, (size_t)(n - cursor), nd.data[i], (size_t)nd.len[i]);
                next[i] = hit ? hit - dc : -1;
            }
            if (next[i] >= 0 && (where < 0 || next[i] < where)) {
                where = next[i];
                best = i;
            }
        }
        if (best < 0) break;
        Py_ssize_t start = where, end = where + nd.len[best];
        cursor = end;
        if (nd.kept[best]) continue; /* a replacement already written: kept as it is */
        for (Py_ssize_t p = counted; p < start; p++) quotes += d[p] == '"';
        counted = start;
        Py_ssize_t lit = start;
        while (lit > 0 && d[lit - 1] != '"') lit--;
        if (quotes % 2 == 0 || memchr(nd.data[best], '"', (size_t)nd.len[best]) != NULL ||
            (start && d[start - 1] == '\\') || escape_u_in(d, start - 5, start) ||
            nd.data[best][nd.len[best] - 1] == '\\' || escape_u_in(d, end - 5, end) ||
            nested_start(d, n, lit)) {
            result = Py_NewRef(Py_None);
            goto out;
        }
        counts[best]++;
        made++;
        Py_ssize_t need = size + (start - last) + nd.rep_len[best];
        if (need > cap) {
            cap = need * 2 + 64;
            char *grown = PyMem_Realloc(buf, (size_t)cap);
            if (!grown) { PyErr_NoMemory(); goto out; }
            buf = grown;
        }
        memcpy(buf + size, dc + last, (size_t)(start - last));
        size += start - last;
        memcpy(buf + size, nd.rep[best], (size_t)nd.rep_len[best]);
        size += nd.rep_len[best];
        last = end;
    }
    PyObject *counts_list = PyList_New(made ? k : 0);
    if (!counts_list) goto out;
    for (Py_ssize_t i = 0; made && i < k; i++) {
        PyObject *v = PyLong_FromSsize_t(counts[i]);
        if (!v) { Py_DECREF(counts_list); goto out; }
        PyList_SET_ITEM(counts_list, i, v);
    }
    if (!made) {
        result = Py_BuildValue("(ON)", data_obj, counts_list);
        goto out;
    }
    PyObject *joined = PyBytes_FromStringAndSize(NULL, size + (n - last));
    if (!joined) { Py_DECREF(counts_list); goto out; }
    memcpy(PyBytes_AS_STRING(joined), buf, (size_t)size);
    memcpy(PyBytes_AS_STRING(joined) + size, dc + last, (size_t)(n - last));
    result = Py_BuildValue("(NN)", joined, counts_list);
out:
    PyMem_Free(buf);
    PyMem_Free(counts);
    PyMem_Free(next);
    free_needles(&nd);
    return result;
}

/* ---- the whole rewrite of one value: Engine ------------------------------------------
 *
 * Engine(...).rewrite(value, *, where=None) is Rewriter.rewrite for the common cases,
 * entirely in C: the anchor check (a value without an anchor is returned at once), then
 * the readers of engine._Pass for layer "" without base64: a serialized value (its string
 * tokens rewritten, serialized values and JSON documents nested in them read the same
 * way, lengths fixed), a JSON document in one pass (with the escape checks of
 * Matcher.escapes_hide_occurrences), or plain text. Every occurrence of a needle holds an
 * anchor at a known offset, so the anchors are found once per value and the needles are
 * only compared where an anchor is. Whenever the pure engine would do anything else (a
 * malformed value, an occurrence in an object property name, a JSON document that must be
 * read literal by literal, ...) the value is handed to the Python readers (fallback)
 * before anything is counted, so the report and the bytes are the pure engine's. */

typedef struct {
    char *p;
    Py_ssize_t n, cap;
} Buf;

static int buf_grow(Buf *b, Py_ssize_t extra) {
    if (b->n + extra <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra) cap *= 2;
    char *p = PyMem_Realloc(b->p, (size_t)cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const char *s, Py_ssize_t n) {
    if (n <= 0) return 0;
    if (buf_grow(b, n) < 0) return -1;
    memcpy(b->p + b->n, s, (size_t)n);
    b->n += n;
    return 0;
}

typedef struct {
    Py_ssize_t start, needle;
} Occ;

typedef struct {
    PyObject_HEAD
    PyObject *tables;      /* the tuples whose bytes the arrays below point into */
    PyObject *keys;        /* per needle: its report key (pair, encoding) */
    PyObject *report;      /* the RewriteReport */
    PyObject *report_dict; /* its __dict__ */
    PyObject *fallback;    /* fallback(value, where): the Python readers, for a value declined */
    PyObject *full;        /* full(value, where=...): Rewriter.rewrite, for a value not bytes */
    Anchors an;
    Needles nd;
    const char **rep_json;
    Py_ssize_t *rep_json_len;
    Py_ssize_t *holder_anchor, *holder_offset;
    int json_ok, json_forms;
    Py_ssize_t window;
    /* scratch, reused from value to value */
    Py_ssize_t *hits; /* (start, anchor index) of every anchor occurrence, by start */
    Py_ssize_t nhits, hits_cap;
    Occ *occ;
    Py_ssize_t occ_cap;
    Py_ssize_t *counts;
    Buf out;
    Buf tmp[MAX_NESTING + 1];
} Engine;

static PyObject *str_values_seen, *str_values_scanned, *str_values_changed, *str_by_pair_encoding;

/* report.<name> += 1 (report is a dataclass: its fields live in its __dict__) */
static int bump(PyObject *dict, PyObject *name, Py_ssize_t by) {
    PyObject *old = PyDict_GetItemWithError(dict, name);
    if (old == NULL) {
        if (!PyErr_Occurred()) PyErr_SetObject(PyExc_AttributeError, name);
        return -1;
    }
    Py_ssize_t v = PyLong_AsSsize_t(old);
    if (v == -1 && PyErr_Occurred()) return -1;
    PyObject *now = PyLong_FromSsize_t(v + by);
    if (now == NULL) return -1;
    int r = PyDict_SetItem(dict, name, now);
    Py_DECREF(now);
    return r;
}

/* The first anchor occurrence starting at or after lo. */
static Py_ssize_t first_hit(const Engine *e, Py_ssize_t lo) {
    Py_ssize_t a = 0, b = e->nhits;
    while (a < b) {
        Py_ssize_t m = a + (b - a) / 2;
        if (e->hits[2 * m] < lo) a = m + 1;
        else b = m;
    }
    return a;
}

/* Matcher.occurrences over d[lo:hi) into e->occ (kept needles included): leftmost,
 * longest at a position, never overlapping. Their number, or -1 on error. */
static Py_ssize_t find_occ(Engine *e, const char *d, Py_ssize_t lo, Py_ssize_t hi) {
    Py_ssize_t m = 0;
    for (Py_ssize_t h = first_hit(e, lo); h < e->nhits; h++) {
        Py_ssize_t hs = e->hits[2 * h], a = e->hits[2 * h + 1];
        if (hs >= hi) break;
        if (hs + e->an.len[a] > hi) continue;
        for (Py_ssize_t i = 0; i < e->nd.n; i++) {
            if (e->holder_anchor[i] != a) continue;
            Py_ssize_t st = hs - e->holder_offset[i], len = e->nd.len[i];
            if (st < lo || st + len > hi || memcmp(d + st, e->nd.data[i], (size_t)len) != 0)
                continue;
            if (m == e->occ_cap) {
                Py_ssize_t cap = e->occ_cap ? e->occ_cap * 2 : 64;
                Occ *grown = PyMem_Realloc(e->occ, (size_t)cap * sizeof(Occ));
                if (grown == NULL) {
                    PyErr_NoMemory();
                    return -1;
                }
                e->occ = grown;
                e->occ_cap = cap;
            }
            e->occ[m].start = st;
            e->occ[m].needle = i;
            m++;
        }
    }
    /* by (start, needle): needles are longest first */
    for (Py_ssize_t j = 1; j < m; j++) {
        Occ x = e->occ[j];
        Py_ssize_t k = j;
        while (k > 0 && (e->occ[k - 1].start > x.start ||
                         (e->occ[k - 1].start == x.start && e->occ[k - 1].needle > x.needle))) {
            e->occ[k] = e->occ[k - 1];
            k--;
        }
        e->occ[k] = x;
    }
    Py_ssize_t kept = 0, free_at = lo;
    for (Py_ssize_t j = 0; j < m; j++) {
        if (e->occ[j].start < free_at) continue;
        free_at = e->occ[j].start + e->nd.len[e->occ[j].needle];
        e->occ[kept++] = e->occ[j];
    }
    return kept;
}

/* Matcher.replace (in_json=False) of d[lo:hi), appended to out. 1, or -1 on error. */
static int rw_text(Engine *e, const char *d, Py_ssize_t lo, Py_ssize_t hi, Buf *out,
                   int *changed) {
    Py_ssize_t k = find_occ(e, d, lo, hi);
    if (k < 0) return -1;
    Py_ssize_t last = lo;
    for (Py_ssize_t j = 0; j < k; j++) {
        Py_ssize_t i = e->occ[j].needle, st = e->occ[j].start;
        if (e->nd.kept[i]) continue; /* a replacement already written: kept as it is */
        if (buf_put(out, d + last, st - last) < 0 ||
            buf_put(out, e->nd.rep[i], e->nd.rep_len[i]) < 0)
            return -1;
        e->counts[i]++;
        *changed = 1;
        last = st + e->nd.len[i];
    }
    if (buf_put(out, d + last, hi - last) < 0) return -1;
    return 1;
}

static int lower_hex(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

/* matcher._ODD_ESCAPE at the backslash u[p], the data ending at high (the regex's endpos):
 * an escape other than \/ and lower-case \u of non-ASCII. */
static int odd_escape_at(const unsigned char *u, Py_ssize_t p, Py_ssize_t high) {
    Py_ssize_t q = p + 1;
    if (q < high && u[q] == '/') return 0;
    if (q + 4 < high && u[q] == 'u') {
        unsigned char a = u[q + 1], b = u[q + 2], c = u[q + 3], x = u[q + 4];
        if (a == '0' && b == '0' && (c == '8' || c == '9' || (c >= 'a' && c <= 'f')) && lower_hex(x))
            return 0;
        if (a == '0' && b != '0' && lower_hex(b) && lower_hex(c) && lower_hex(x)) return 0;
        if (a != '0' && lower_hex(a) && lower_hex(b) && lower_hex(c) && lower_hex(x)) return 0;
    }
    return 1;
}

static int has_pair(const unsigned char *u, Py_ssize_t low, Py_ssize_t high, char a, char b) {
    for (Py_ssize_t p = low; p + 1 < high; p++)
        if (u[p] == (unsigned char)a && u[p + 1] == (unsigned char)b) return 1;
    return 0;
}

/* The three checks of escapes_hide_occurrences over u[low:high). */
static int odd_in(const Engine *e, const unsigned char *u, Py_ssize_t low, Py_ssize_t high) {
    for (Py_ssize_t p = low; p < high; p++) {
        if (u[p] != '\\') continue;
        if (!e->json_forms || odd_escape_at(u, p, high)) return 1;
    }
    return 0;
}

static int mixed_slash(const unsigned char *u, Py_ssize_t low, Py_ssize_t high) {
    if (!has_pair(u, low, high, '\\', '/')) return 0;
    for (Py_ssize_t p = low; p < high; p++) /* (?<!\\)/ : the look-behind sees before low */
        if (u[p] == '/' && !(p > 0 && u[p - 1] == '\\')) return 1;
    return 0;
}

static int mixed_unicode(const unsigned char *u, Py_ssize_t low, Py_ssize_t high) {
    if (!has_pair(u, low, high, '\\', 'u')) return 0;
    for (Py_ssize_t p = low; p < high; p++)
        if (u[p] >= 0x80) return 1;
    return 0;
}

/* Matcher.escapes_hide_occurrences of the JSON document d[lo:hi). */
static int escapes_hide(const Engine *e, const char *d, Py_ssize_t lo, Py_ssize_t hi) {
    const unsigned char *u = (const unsigned char *)d + lo;
    Py_ssize_t n = hi - lo;
    if (memchr(u, '\\', (size_t)n) == NULL) return 0;
    if (!odd_in(e, u, 0, n) && !mixed_slash(u, 0, n) && !mixed_unicode(u, 0, n)) return 0;
    for (Py_ssize_t h = first_hit(e, lo); h < e->nhits; h++) {
        Py_ssize_t hs = e->hits[2 * h] - lo, he = hs + e->an.len[e->hits[2 * h + 1]];
        if (hs >= n) break;
        if (he > n) continue;
        Py_ssize_t low = hs - e->window, high = he + e->window;
        if (low < 0) low = 0;
        if (high > n) high = n;
        if (memchr(u + low, '\\', (size_t)(high - low)) == NULL) continue;
        if (odd_in(e, u, low, high) || mixed_slash(u, low, high) || mixed_unicode(u, low, high))
            return 1;
    }
    return 0;
}

/* _Pass.read_json_document of d[lo:hi) when every replacement reads the same in JSON:
 * 1 (appended to out), 0 (declined: the document must be read literal by literal), -1. */
static int rw_json(Engine *e, const char *d, Py_ssize_t lo, Py_ssize_t hi, Buf *out,
                   int *changed) {
    const unsigned char *u = (const unsigned char *)d + lo;
    Py_ssize_t n = hi - lo;
    if (!e->json_ok) return 0;
    if (has_pair(u, 0, n, '\\', '\\') || has_pair(u, 0, n, '\\', '"')) return 0;
    if (escapes_hide(e, d, lo, hi)) return 0;
    Py_ssize_t k = find_occ(e, d, lo, hi);
    if (k < 0) return -1;
    Py_ssize_t counted = 0, quotes = 0;
    for (Py_ssize_t j = 0; j < k; j++) { /* first check, then write: nothing half done */
        Py_ssize_t i = e->occ[j].needle;
        if (e->nd.kept[i]) continue;
        Py_ssize_t start = e->occ[j].start - lo, end = start + e->nd.len[i];
        for (Py_ssize_t p = counted; p < start; p++) quotes += u[p] == '"';
        counted = start;
        Py_ssize_t lit = start;
        while (lit > 0 && u[lit - 1] != '"') lit--;
        if (quotes % 2 == 0 || memchr(e->nd.data[i], '"', (size_t)e->nd.len[i]) != NULL ||
            (start && u[start - 1] == '\\') || escape_u_in(u, start - 5, start) ||
            e->nd.data[i][e->nd.len[i] - 1] == '\\' || escape_u_in(u, end - 5, end) ||
            nested_start(u, n, lit))
            return 0;
    }
    Py_ssize_t last = lo;
    for (Py_ssize_t j = 0; j < k; j++) {
        Py_ssize_t i = e->occ[j].needle, st = e->occ[j].start;
        if (e->nd.kept[i]) continue;
        if (buf_put(out, d + last, st - last) < 0 || buf_put(out, e->rep_json[i], e->rep_json_len[i]) < 0)
            return -1;
        e->counts[i]++;
        *changed = 1;
        last = st + e->nd.len[i];
    }
    if (buf_put(out, d + last, hi - last) < 0) return -1;
    return 1;
}

/* engine._looks_json */
static int looks_json(const unsigned char *u, Py_ssize_t n) {
    Py_ssize_t a = 0, b = n;
    while (a < b && (u[a] == ' ' || u[a] == '\t' || u[a] == '\n' || u[a] == '\r')) a++;
    while (b > a && (u[b - 1] == ' ' || u[b - 1] == '\t' || u[b - 1] == '\n' || u[b - 1] == '\r'))
        b--;
    return b - a >= 2 && ((u[a] == '{' && u[b - 1] == '}') || (u[a] == '[' && u[b - 1] == ']'));
}

static int rw_value(Engine *e, const char *d, Py_ssize_t lo, Py_ssize_t hi, Buf *out,
                    int *changed, int level);

/* _Pass.read_serialized of the serialized value d[a:b) inside d[lo:hi). */
static int rw_serialized(Engine *e, const char *d, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t a,
                         Py_ssize_t b, Buf *out, int *changed, int level) {
    int status = -1;
    Scan s;
    memset(&s, 0, sizeof s);
    s.d = (const unsigned char *)d + lo;
    s.limit = b - lo;
    s.len = hi - lo;
    Py_ssize_t stop = scan(&s, a - lo);
    PyMem_Free(s.objects);
    Site *sites = s.csites;
    Py_ssize_t nsites = s.ncsites;
    if (stop == -2) goto out;
    if (stop < 0 || stop != b - lo) { status = 0; goto out; } /* malformed: the readers report it */
    Py_ssize_t last = lo, si = 0, last_index = -1;
    Buf *tmp = &e->tmp[level];
    for (Py_ssize_t h = first_hit(e, lo); h < e->nhits; h++) {
        /* sites_touching: the site holding each anchor occurrence, once each */
        Py_ssize_t ss = e->hits[2 * h] - lo, se = ss + e->an.len[e->hits[2 * h + 1]];
        if (ss >= hi - lo) break;
        if (se > hi - lo) continue;
        while (si < nsites && sites[si].start <= ss) si++;
        Py_ssize_t index = si - 1;
        if (index < 0 || se > sites[index].end || index == last_index) continue;
        last_index = index;
        Site *site = &sites[index];
        if (site->kind != VALUE && site->kind != KEY) { status = 0; goto out; }
        Py_ssize_t cs = lo + site->start, ce = lo + site->end;
        int sub = 0, r;
        tmp->n = 0;
        if (is_plain((const unsigned char *)d + cs, ce - cs)) r = rw_text(e, d, cs, ce, tmp, &sub);
        else if (level + 1 < MAX_NESTING) r = rw_value(e, d, cs, ce, tmp, &sub, level + 1);
        else r = 0;
        if (r <= 0) { status = r; goto out; }
        if (!sub) continue;
        *changed = 1;
        char digits_buf[32];
        int nd = PyOS_snprintf(digits_buf, sizeof digits_buf, "%zd", tmp->n);
        if (buf_put(out, d + last, lo + site->digits - last) < 0 || buf_put(out, digits_buf, nd) < 0 ||
            buf_put(out, d + cs - 2, 2) < 0 || buf_put(out, tmp->p, tmp->n) < 0)
            goto out;
        last = ce;
    }
    if (buf_put(out, d + last, hi - last) < 0) goto out;
    status = 1;
out:
    PyMem_Free(sites);
    return status;
}

/* _Pass.value of d[lo:hi) (layer "", not a payload, no base64): 1 (appended to out),
 * 0 (declined), -1 (error). Strings inside use e->tmp[level]. */
static int rw_value(Engine *e, const char *d, Py_ssize_t lo, Py_ssize_t hi, Buf *out,
                    int *changed, int level) {
    const unsigned char *u = (const unsigned char *)d + lo;
    Py_ssize_t a, b;
    if (looks_serialized(u, hi - lo, &a, &b))
        return rw_serialized(e, d, lo, hi, lo + a, lo + b, out, changed, level);
    if (looks_json(u, hi - lo)) return rw_json(e, d, lo, hi, out, changed);
    return rw_text(e, d, lo, hi, out, changed);
}

static int hit_cmp(const void *x, const void *y) {
    const Py_ssize_t *a = x, *b = y;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

static PyObject *engine_rewrite(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                                PyObject *kwnames) {
    Engine *e = (Engine *)self;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs != 1 || nkw > 1 ||
        (nkw == 1 && PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0), "where") != 0)) {
        PyErr_SetString(PyExc_TypeError, "rewrite(value, *, where=None)");
        return NULL;
    }
    if (e->report_dict == NULL || e->fallback == NULL || e->full == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "engine is cleared");
        return NULL;
    }
    PyObject *value = args[0], *where = nkw ? args[1] : Py_None;
    if (!PyBytes_CheckExact(value)) return PyObject_Vectorcall(e->full, args, nargs, kwnames);
    if (bump(e->report_dict, str_values_seen, 1) < 0) return NULL;
    const char *d = PyBytes_AS_STRING(value);
    Py_ssize_t len = PyBytes_GET_SIZE(value);
    e->nhits = 0;
    for (Py_ssize_t a = 0; a < e->an.n; a++) {
        Py_ssize_t al = e->an.len[a], pos = 0;
        for (;;) {
            const char *hit = memmem(d + pos, (size_t)(len - pos), e->an.data[a], (size_t)al);
            if (hit == NULL) break;
            if (e->nhits == e->hits_cap) {
                Py_ssize_t cap = e->hits_cap ? e->hits_cap * 2 : 64;
                Py_ssize_t *grown = PyMem_Realloc(e->hits, (size_t)cap * 2 * sizeof(Py_ssize_t));
                if (grown == NULL) return PyErr_NoMemory();
                e->hits = grown;
                e->hits_cap = cap;
            }
            e->hits[2 * e->nhits] = hit - d;
            e->hits[2 * e->nhits + 1] = a;
            e->nhits++;
            pos = hit - d + 1;
        }
    }
    if (e->nhits == 0) return Py_NewRef(value);
    if (e->an.n > 1) qsort(e->hits, (size_t)e->nhits, 2 * sizeof(Py_ssize_t), hit_cmp);
    memset(e->counts, 0, (size_t)(e->nd.n + 1) * sizeof(Py_ssize_t));
    e->out.n = 0;
    int changed = 0;
    int status = rw_value(e, d, 0, len, &e->out, &changed, 0);
    if (status < 0) return NULL;
    if (status == 0) {
        PyObject *call[2] = {value, where};
        return PyObject_Vectorcall(e->fallback, call, 2, NULL);
    }
    if (bump(e->report_dict, str_values_scanned, 1) < 0) return NULL;
    if (changed) {
        PyObject *totals = PyDict_GetItemWithError(e->report_dict, str_by_pair_encoding);
        if (totals == NULL) {
            if (!PyErr_Occurred()) PyErr_SetObject(PyExc_AttributeError, str_by_pair_encoding);
            return NULL;
        }
        if (!PyDict_Check(totals)) {
            PyErr_SetString(PyExc_TypeError, "by_pair_encoding must be a Counter");
            return NULL;
        }
        Py_INCREF(totals);
        for (Py_ssize_t i = 0; i < e->nd.n; i++) {
            if (!e->counts[i]) continue;
            PyObject *key = PyTuple_GET_ITEM(e->keys, i);
            PyObject *old = PyDict_GetItemWithError(totals, key);
            Py_ssize_t v = 0;
            if (old != NULL) v = PyLong_AsSsize_t(old);
            if ((old == NULL || v == -1) && PyErr_Occurred()) { Py_DECREF(totals); return NULL; }
            PyObject *now = PyLong_FromSsize_t(v + e->counts[i]);
            if (now == NULL || PyDict_SetItem(totals, key, now) < 0) {
                Py_XDECREF(now);
                Py_DECREF(totals);
                return NULL;
            }
            Py_DECREF(now);
        }
        Py_DECREF(totals);
    }
    if (!changed || (e->out.n == len && memcmp(e->out.p, d, (size_t)len) == 0))
        return Py_NewRef(value);
    PyObject *result = PyBytes_FromStringAndSize(e->out.p, e->out.n);
    if (result == NULL) return NULL;
    if (bump(e->report_dict, str_values_changed, 1) < 0) {
        Py_DECREF(result);
        return NULL;
    }
    return result;
}

static int engine_traverse(PyObject *self, visitproc visit, void *arg) {
    Engine *e = (Engine *)self;
    Py_VISIT(e->tables);
    Py_VISIT(e->keys);
    Py_VISIT(e->report);
    Py_VISIT(e->report_dict);
    Py_VISIT(e->fallback);
    Py_VISIT(e->full);
    return 0;
}

static int engine_clear(PyObject *self) {
    Engine *e = (Engine *)self;
    Py_CLEAR(e->report);
    Py_CLEAR(e->report_dict);
    Py_CLEAR(e->fallback);
    Py_CLEAR(e->full);
    /* tables and keys hold no reference back: kept until dealloc, the arrays point into them */
    return 0;
}

static void engine_dealloc(PyObject *self) {
    Engine *e = (Engine *)self;
    PyObject_GC_UnTrack(self);
    engine_clear(self);
    Py_CLEAR(e->tables);
    Py_CLEAR(e->keys);
    PyMem_Free(e->an.data);
    PyMem_Free(e->an.len);
    free_needles(&e->nd);
    PyMem_Free(e->rep_json);
    PyMem_Free(e->rep_json_len);
    PyMem_Free(e->holder_anchor);
    PyMem_Free(e->holder_offset);
    PyMem_Free(e->hits);
    PyMem_Free(e->occ);
    PyMem_Free(e->counts);
    PyMem_Free(e->out.p);
    for (int i = 0; i <= MAX_NESTING; i++) PyMem_Free(e->tmp[i].p);
    PyObject_GC_Del(self);
}

static PyMethodDef engine_methods[] = {
    {"rewrite", (PyCFunction)(void (*)(void))engine_rewrite, METH_FASTCALL | METH_KEYWORDS,
     "rewrite(value, *, where=None) -> bytes: Rewriter.rewrite (see the module)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "parity.rewrite._native.Engine",
    .tp_basicsize = sizeof(Engine),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The compiled per-value rewrite of one Rewriter (made by engine()).",
    .tp_traverse = engine_traverse,
    .tp_clear = engine_clear,
    .tp_dealloc = engine_dealloc,
    .tp_methods = engine_methods,
};

/* engine(anchors, needles, replacements, json_replacements, kept, holder_anchor,
 *        holder_offset, keys, json_ok, json_forms, window, report, fallback, full) */
static PyObject *native_engine(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *anchors, *needles, *reps, *reps_json, *kept, *h_anchor, *h_offset, *keys;
    PyObject *report, *fallback, *full;
    int json_ok, json_forms;
    Py_ssize_t window;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!O!O!ppnOOO", &PyTuple_Type, &anchors, &PyTuple_Type,
                          &needles, &PyTuple_Type, &reps, &PyTuple_Type, &reps_json, &PyTuple_Type,
                          &kept, &PyTuple_Type, &h_anchor, &PyTuple_Type, &h_offset, &PyTuple_Type,
                          &keys, &json_ok, &json_forms, &window, &report, &fallback, &full))
        return NULL;
    Py_ssize_t k = PyTuple_GET_SIZE(needles);
    if (PyTuple_GET_SIZE(reps) != k || PyTuple_GET_SIZE(reps_json) != k || PyTuple_GET_SIZE(kept) != k ||
        PyTuple_GET_SIZE(h_anchor) != k || PyTuple_GET_SIZE(h_offset) != k ||
        PyTuple_GET_SIZE(keys) != k || PyTuple_GET_SIZE(anchors) == 0 || window < 0 ||
        !PyCallable_Check(fallback) || !PyCallable_Check(full)) {
        PyErr_SetString(PyExc_ValueError, "bad engine tables");
        return NULL;
    }
    Engine *e = PyObject_GC_New(Engine, &EngineType);
    if (e == NULL) return NULL;
    /* everything after PyObject_HEAD starts zeroed */
    memset((char *)e + sizeof(PyObject), 0, sizeof(Engine) - sizeof(PyObject));
    e->tables = Py_BuildValue("(OOOO)", anchors, needles, reps, reps_json);
    e->keys = Py_NewRef(keys);
    e->report = Py_NewRef(report);
    e->report_dict = PyObject_GetAttrString(report, "__dict__");
    e->fallback = Py_NewRef(fallback);
    e->full = Py_NewRef(full);
    e->json_ok = json_ok;
    e->json_forms = json_forms;
    e->window = window;
    PyObject_GC_Track((PyObject *)e);
    if (e->tables == NULL || e->report_dict == NULL) goto fail;
    if (!PyDict_Check(e->report_dict)) {
        PyErr_SetString(PyExc_TypeError, "the report's __dict__ is not a dict");
        goto fail;
    }
    Py_ssize_t na = PyTuple_GET_SIZE(anchors);
    e->an.n = na;
    e->an.data = PyMem_Calloc((size_t)na + 1, sizeof(char *));
    e->an.len = PyMem_Calloc((size_t)na + 1, sizeof(Py_ssize_t));
    e->rep_json = PyMem_Calloc((size_t)k + 1, sizeof(char *));
    e->rep_json_len = PyMem_Calloc((size_t)k + 1, sizeof(Py_ssize_t));
    e->holder_anchor = PyMem_Calloc((size_t)k + 1, sizeof(Py_ssize_t));
    e->holder_offset = PyMem_Calloc((size_t)k + 1, sizeof(Py_ssize_t));
    e->counts = PyMem_Calloc((size_t)k + 1, sizeof(Py_ssize_t));
    if (!e->an.data || !e->an.len || !e->rep_json || !e->rep_json_len || !e->holder_anchor ||
        !e->holder_offset || !e->counts) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t a = 0; a < na; a++) {
        PyObject *anchor = PyTuple_GET_ITEM(anchors, a);
        if (!PyBytes_Check(anchor) || PyBytes_GET_SIZE(anchor) == 0) {
            PyErr_SetString(PyExc_TypeError, "anchors must be non-empty bytes");
            goto fail;
        }
        e->an.data[a] = PyBytes_AS_STRING(anchor);
        e->an.len[a] = PyBytes_GET_SIZE(anchor);
    }
    if (load_needles(needles, reps, kept, &e->nd) < 0) goto fail;
    for (Py_ssize_t i = 0; i < k; i++) {
        PyObject *r = PyTuple_GET_ITEM(reps_json, i);
        if (!PyBytes_Check(r)) {
            PyErr_SetString(PyExc_TypeError, "replacements must be bytes");
            goto fail;
        }
        e->rep_json[i] = PyBytes_AS_STRING(r);
        e->rep_json_len[i] = PyBytes_GET_SIZE(r);
        Py_ssize_t ha = PyLong_AsSsize_t(PyTuple_GET_ITEM(h_anchor, i));
        Py_ssize_t ho = PyLong_AsSsize_t(PyTuple_GET_ITEM(h_offset, i));
        if (PyErr_Occurred()) goto fail;
        /* every needle holds its anchor: an.data[ha] == needle[ho : ho + len] */
        if (ha < 0 || ha >= na || ho < 0 || ho + e->an.len[ha] > e->nd.len[i] ||
            memcmp(e->nd.data[i] + ho, e->an.data[ha], (size_t)e->an.len[ha]) != 0) {
            PyErr_SetString(PyExc_ValueError, "a needle does not hold its anchor");
            goto fail;
        }
        e->holder_anchor[i] = ha;
        e->holder_offset[i] = ho;
    }
    return (PyObject *)e;
fail:
    Py_DECREF(e);
    return NULL;
}

static PyMethodDef methods[] = {
    {"parse", native_parse, METH_VARARGS,
     "parse(data, start, end) -> list of (kind, digits, start, end): the string-like tokens "
     "of the one serialized value in data[start:end]; raises Malformed(reason, offset)."},
    {"quick_serialized", native_quick_serialized, METH_VARARGS,
     "quick_serialized(data, start, end, anchors, needles, replacements, kept) -> None or "
     "(new data, counts per needle): the direct path for a serialized value."},
    {"json_document", native_json_document, METH_VARARGS,
     "json_document(data, needles, replacements, kept) -> None or (new data, counts per "
     "needle): a JSON document rewritten in one pass (Matcher.replace_json_document)."},
    {"engine", native_engine, METH_VARARGS,
     "engine(anchors, needles, replacements, json_replacements, kept, holder_anchor, "
     "holder_offset, keys, json_ok, json_forms, window, report, fallback, full) -> Engine: "
     "the compiled per-value rewrite of one Rewriter."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native", "parity's compiled rewrite hot paths.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    str_values_seen = PyUnicode_InternFromString("values_seen");
    str_values_scanned = PyUnicode_InternFromString("values_scanned");
    str_values_changed = PyUnicode_InternFromString("values_changed");
    str_by_pair_encoding = PyUnicode_InternFromString("by_pair_encoding");
    if (!str_values_seen || !str_values_scanned || !str_values_changed || !str_by_pair_encoding ||
        PyType_Ready(&EngineType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Malformed = PyErr_NewException("parity.rewrite._native.Malformed", PyExc_ValueError, NULL);
    if (Malformed == NULL || PyModule_AddObjectRef(m, "Malformed", Malformed) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
