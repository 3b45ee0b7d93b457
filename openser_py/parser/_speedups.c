/*
 * openser_py.parser._speedups -- the header index of a SIP message in C.
 *
 * Optional: openser_py/parser/index.py holds the reference implementation
 * in Python (``py_index_head``) and uses this module only when it was
 * built and OPENSER_PY_PURE is not set.  tests/unit/parser/test_speedups.py
 * checks that both return equal values for the whole message corpus and
 * for mutated messages.
 *
 * Theory of operation
 * -------------------
 * ``index_head(buf)`` does, in one pass and without running bytecode, what
 * the first half of SipMsg construction does:
 *
 *   1. find the first CRLF CRLF (RFC 3261 7: the end of the header block);
 *   2. decode the header block and that CRLF CRLF as latin-1 (``text``);
 *   3. split ``text`` at LF, dropping the two pieces of the CRLF CRLF, so
 *      every line keeps its CR, like ``text.split("\n")``;
 *   4. partition every line after the first at its first ":" into
 *      ``(name, ":", value)`` (RFC 3261 7.3: header-name HCOLON value);
 *   5. look every name up, spelled exactly as on the wire, in the table
 *      of known spellings given to ``set_codes`` and join the one-character
 *      codes into ``types`` (an unknown name gets the unknown code).
 *
 * It returns ``(body_offset, text, first_line, lines, parts, types)``, or
 * None whenever the message needs the general parser: no CRLF CRLF, an
 * empty header block, no header line, or a line whose value would be
 * empty (no colon, a bare-LF empty line, a folded continuation without a
 * colon).  It never raises for any content of ``buf``; the checks of the
 * grammar stay in Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* exact header-name spelling (str) -> one-character code (str) */
static PyObject *codes_table = NULL;
/* the code of a name not in the table */
static Py_UCS1 unknown_code = 0x7f;
/* the ":" of every partition tuple (shared, like str.partition's) */
static PyObject *colon_str = NULL;

/* A str of s[0:len] (latin-1), ASCII-fast when the block is ASCII. */
static PyObject *
latin1_str(const char *s, Py_ssize_t len, int ascii)
{
    if (!ascii)
        return PyUnicode_DecodeLatin1(s, len, NULL);
    PyObject *r = PyUnicode_New(len, 127);
    if (r != NULL && len)
        memcpy(PyUnicode_1BYTE_DATA(r), s, (size_t)len);
    return r;
}

/* Offset of the first "\r\n\r\n" in s[0:n], or -1. */
static Py_ssize_t
find_crlfcrlf(const char *s, Py_ssize_t n)
{
    const char *p = s, *end = s + n;
    while (end - p >= 4) {
        p = memchr(p, '\r', (size_t)(end - p - 3));
        if (p == NULL)
            return -1;
        if (p[1] == '\n' && p[2] == '\r' && p[3] == '\n')
            return p - s;
        p++;
    }
    return -1;
}

static int
block_is_ascii(const char *s, Py_ssize_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char acc = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        acc |= u[i];
    return acc < 0x80;
}

static PyObject *
index_head(PyObject *Py_UNUSED(module), PyObject *buf)
{
    if (!PyBytes_CheckExact(buf)) {
        PyErr_SetString(PyExc_TypeError, "index_head() needs bytes");
        return NULL;
    }
    if (codes_table == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "set_codes() was not called");
        return NULL;
    }
    const char *s = PyBytes_AS_STRING(buf);
    Py_ssize_t n = PyBytes_GET_SIZE(buf);
    Py_ssize_t p = find_crlfcrlf(s, n);
    if (p <= 0)
        Py_RETURN_NONE;     /* no end of headers, or an empty block */

    /* the lines are s[0:p+1] split at LF (the last one ends with the CR
       of the CRLF CRLF); the first one must be followed by a header */
    const char *lf = memchr(s, '\n', (size_t)p);
    if (lf == NULL)
        Py_RETURN_NONE;
    Py_ssize_t nlines = 0;
    for (const char *q = lf; q != NULL;
         q = memchr(q + 1, '\n', (size_t)(s + p - q - 1)))
        nlines++;   /* LFs inside the block = header lines */

    int ascii = block_is_ascii(s, p);
    PyObject *text = NULL, *first = NULL, *lines = NULL, *parts = NULL;
    PyObject *types = NULL, *result = NULL;

    text = latin1_str(s, p + 4, ascii);
    first = latin1_str(s, lf - s, ascii);
    lines = PyList_New(nlines);
    parts = PyList_New(nlines);
    types = PyUnicode_New(nlines, 127);
    if (!text || !first || !lines || !parts || !types)
        goto error;
    Py_UCS1 *tcodes = PyUnicode_1BYTE_DATA(types);

    const char *start = lf + 1, *stop = s + p + 1;
    for (Py_ssize_t i = 0; i < nlines; i++) {
        const char *eol = memchr(start, '\n', (size_t)(stop - start));
        if (eol == NULL)
            eol = stop;     /* the last line: up to and with its CR */
        Py_ssize_t len = eol - start;
        const char *c = memchr(start, ':', (size_t)len);
        if (c == NULL || c + 1 == eol)
            goto fallback;  /* no colon, or an empty value */
        PyObject *line = latin1_str(start, len, ascii);
        if (line == NULL)
            goto error;
        PyList_SET_ITEM(lines, i, line);
        PyObject *name = latin1_str(start, c - start, ascii);
        if (name == NULL)
            goto error;
        PyObject *value = latin1_str(c + 1, eol - c - 1, ascii);
        if (value == NULL) {
            Py_DECREF(name);
            goto error;
        }
        PyObject *code = PyDict_GetItemWithError(codes_table, name);
        if (code != NULL)
            tcodes[i] = (Py_UCS1)PyUnicode_READ_CHAR(code, 0);
        else if (PyErr_Occurred()) {
            Py_DECREF(name);
            Py_DECREF(value);
            goto error;
        }
        else
            tcodes[i] = unknown_code;
        PyObject *t = PyTuple_New(3);
        if (t == NULL) {
            Py_DECREF(name);
            Py_DECREF(value);
            goto error;
        }
        Py_INCREF(colon_str);
        PyTuple_SET_ITEM(t, 0, name);
        PyTuple_SET_ITEM(t, 1, colon_str);
        PyTuple_SET_ITEM(t, 2, value);
        PyList_SET_ITEM(parts, i, t);
        start = eol + 1;
    }
    PyObject *off = PyLong_FromSsize_t(p + 4);
    if (off == NULL || (result = PyTuple_New(6)) == NULL) {
        Py_XDECREF(off);
        goto error;
    }
    PyTuple_SET_ITEM(result, 0, off);
    PyTuple_SET_ITEM(result, 1, text);
    PyTuple_SET_ITEM(result, 2, first);
    PyTuple_SET_ITEM(result, 3, lines);
    PyTuple_SET_ITEM(result, 4, parts);
    PyTuple_SET_ITEM(result, 5, types);
    return result;

fallback:
    result = Py_NewRef(Py_None);
error:      /* result is NULL here unless the message falls back */
    Py_XDECREF(text);
    Py_XDECREF(first);
    Py_XDECREF(lines);
    Py_XDECREF(parts);
    Py_XDECREF(types);
    return result;
}

static PyObject *
set_codes(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *table, *unknown;
    if (!PyArg_ParseTuple(args, "O!U:set_codes", &PyDict_Type, &table,
                          &unknown))
        return NULL;
    if (PyUnicode_GET_LENGTH(unknown) != 1
            || PyUnicode_READ_CHAR(unknown, 0) > 127) {
        PyErr_SetString(PyExc_ValueError, "unknown code: one ASCII char");
        return NULL;
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(table, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key) || !PyUnicode_CheckExact(value)
                || PyUnicode_GET_LENGTH(value) != 1
                || PyUnicode_READ_CHAR(value, 0) > 127) {
            PyErr_SetString(PyExc_ValueError,
                            "codes: str name -> one ASCII char str");
            return NULL;
        }
    }
    Py_INCREF(table);
    Py_XSETREF(codes_table, table);
    unknown_code = (Py_UCS1)PyUnicode_READ_CHAR(unknown, 0);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"index_head", index_head, METH_O,
     "index_head(buf) -> (body_offset, text, first_line, lines, parts, "
     "types) or None: the header index of a SIP message (see "
     "openser_py/parser/index.py)."},
    {"set_codes", set_codes, METH_VARARGS,
     "set_codes(table, unknown): the name -> code table used by "
     "index_head (kept by reference: the caller must not change it)."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module_def = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_speedups",
    .m_doc = "Optional C speedups of the SIP parser (see index.py).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    colon_str = PyUnicode_InternFromString(":");
    if (colon_str == NULL)
        return NULL;
    return PyModule_Create(&module_def);
}
