/* The detector's hot loops in C: splitting text into word keys (split), the matcher's trie walk
 * (Walker) and the learned layer's sum of weights (Scorer).  All optional: native.py says when
 * they are used.
 *
 * Walker: the same frozen DAG as matcher.py, walked the same way.
 *
 * matcher.py builds and freezes the trie in Python and, when this module is built, hands it here as
 * flat integer arrays (Walker.__init__).  Walker.find(keys, brk) then does what Matcher.find_keys's
 * loop does: from every token, follow literal words, stems and gap windows, and keep per layer the
 * longest end (at equal length the more serious, at a tie the first found, in the same order as
 * the Python walk: literal child, stems longest first, gaps in their order, shortest skip first).
 * It returns one list of Match tuples per layer, ordered by start; Python keeps the choice between
 * overlapping signals (most_serious_first) and everything after it.
 *
 * Scorer: learned.py's logit, the bias plus the weight of each distinct word and each distinct pair
 * of neighbouring words, over word ids instead of Python strings and tuples.
 *
 * setup.py builds this module when a C compiler is there; without it (or with HELPLINE_PURE_PYTHON=1)
 * the Python code does the same work.  The tests run both and compare.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define LAYERS 4

typedef struct {
    PyObject_HEAD
    Py_ssize_t nodes;
    int root;
    /* literal edges: open addressing on (node << 32 | word id) */
    uint64_t *edge_key;
    int32_t *edge_child;
    uint64_t edge_mask;
    /* per node slices [off[n], off[n + 1]) */
    int32_t *end_off, *end_layer, *end_entry, *end_rank;
    int32_t *stem_off, *stem_child;
    PyObject **stem_str;            /* stems of a node, longest first (owned references) */
    Py_ssize_t stem_count;
    int32_t *gap_off, *gap_most, *gap_child;
    char *plain;                    /* only goes on with a literal word: no end, no stem, no gap */
    PyObject *vocabulary;           /* dict: word -> id (1..) */
    PyObject *entries;              /* list of Entry */
    PyTypeObject *match_type;       /* matcher.Match, a tuple subclass */
} Walker;

typedef struct {
    int have, j, entry, rank;
    Py_ssize_t gap_len;
    int *gap;
} Best;

typedef struct {
    const Walker *w;
    PyObject **keys;                /* borrowed from the list */
    const int *ids;
    const char *brk;
    int n;
    int *stack;                     /* indices skipped by gaps on the current path */
    Best best[LAYERS];
} Walk;

/* First slot of `key` in a table of mask + 1 slots (a power of two): the top bits of a Fibonacci
 * hash, which every bit of the key reaches (the low bits of the product never see the high half). */
static inline uint64_t slot_of(uint64_t key, uint64_t mask) {
    key ^= key >> 29;
    return ((key * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}

static inline int child_of(const Walker *w, int node, int word) {
    if (word <= 0)
        return -1;
    uint64_t key = ((uint64_t)(uint32_t)node << 32) | (uint32_t)word;
    for (uint64_t s = slot_of(key, w->edge_mask);; s = (s + 1) & w->edge_mask) {
        if (w->edge_key[s] == key)
            return w->edge_child[s];
        if (w->edge_key[s] == UINT64_MAX)
            return -1;
    }
}

static void record(Walk *k, int node, int i, int depth) {
    const Walker *w = k->w;
    for (int e = w->end_off[node]; e < w->end_off[node + 1]; e++) {
        Best *b = &k->best[w->end_layer[e]];
        if (!b->have || i > b->j || (i == b->j && w->end_rank[e] > b->rank)) {
            b->have = 1;
            b->j = i;
            b->entry = w->end_entry[e];
            b->rank = w->end_rank[e];
            b->gap_len = depth;
            memcpy(b->gap, k->stack, sizeof(int) * (size_t)depth);
        }
    }
}

static inline int simple(const Walker *w, int node) {
    return w->stem_off[node] == w->stem_off[node + 1] && w->gap_off[node] == w->gap_off[node + 1];
}

/* matcher._walk: `depth` indices of k->stack are the gap so far. */
static int walk(Walk *k, int node, int i, int depth) {
    const Walker *w = k->w;
    int n = k->n;
    for (;;) {
        if (w->end_off[node] < w->end_off[node + 1])
            record(k, node, i, depth);
        if (!simple(w, node))
            break;
        if (i >= n)
            return 0;
        node = child_of(w, node, k->ids[i]);
        if (node < 0)
            return 0;
        i++;
    }
    if (i < n) {
        int child = child_of(w, node, k->ids[i]);
        if (child >= 0 && walk(k, child, i + 1, depth) < 0)
            return -1;
        for (int s = w->stem_off[node]; s < w->stem_off[node + 1]; s++) {
            PyObject *stem = w->stem_str[s];
            Py_ssize_t hit = PyUnicode_Tailmatch(k->keys[i], stem, 0, PY_SSIZE_T_MAX, -1);
            if (hit < 0)
                return -1;
            if (hit && walk(k, w->stem_child[s], i + 1, depth) < 0)
                return -1;
        }
    }
    for (int g = w->gap_off[node]; g < w->gap_off[node + 1]; g++) {
        int most = w->gap_most[g], child = w->gap_child[g], plain = w->plain[child];
        if (plain) {
            /* a plain child only goes on with one of its words: is any of them in the window? */
            int any = 0;
            for (int x = i; x < n && x <= i + most && !any; x++)
                any = child_of(w, child, k->ids[x]) >= 0;
            if (!any)
                continue;
        }
        int skipped = depth;
        for (int s = 0; s <= most; s++) {
            if (s) {
                if (i + s > n || k->brk[i + s - 1])
                    break;
                k->stack[skipped++] = i + s - 1;
            }
            if (plain && (i + s >= n || child_of(w, child, k->ids[i + s]) < 0))
                continue;
            if (walk(k, child, i + s, skipped) < 0)
                return -1;
        }
    }
    return 0;
}

static PyObject *make_match(const Walker *w, int entry, int i, int j, const int *gap, Py_ssize_t gap_len) {
    PyObject *gaps = PyTuple_New(gap_len);
    if (gaps == NULL)
        return NULL;
    for (Py_ssize_t g = 0; g < gap_len; g++) {
        PyObject *x = PyLong_FromLong(gap[g]);
        if (x == NULL) {
            Py_DECREF(gaps);
            return NULL;
        }
        PyTuple_SET_ITEM(gaps, g, x);
    }
    PyObject *m = w->match_type->tp_alloc(w->match_type, 4);    /* as tuple.__new__(Match, ...) does */
    PyObject *a = PyLong_FromLong(i), *b = PyLong_FromLong(j);
    if (m == NULL || a == NULL || b == NULL) {
        Py_XDECREF(m);
        Py_XDECREF(a);
        Py_XDECREF(b);
        Py_DECREF(gaps);
        return NULL;
    }
    PyObject *entry_obj = PyList_GET_ITEM(w->entries, entry);
    Py_INCREF(entry_obj);
    PyTuple_SET_ITEM(m, 0, entry_obj);
    PyTuple_SET_ITEM(m, 1, a);
    PyTuple_SET_ITEM(m, 2, b);
    PyTuple_SET_ITEM(m, 3, gaps);
    return m;
}

/* Walker.find(keys: list[str], brk: list[bool]) -> tuple of 4 lists of Match */
static PyObject *Walker_find(Walker *self, PyObject *args) {
    PyObject *keys, *brk;
    if (!PyArg_ParseTuple(args, "O!O!:find", &PyList_Type, &keys, &PyList_Type, &brk))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(keys);
    if (PyList_GET_SIZE(brk) != n) {
        PyErr_SetString(PyExc_ValueError, "keys and brk differ in length");
        return NULL;
    }
    if (n > INT32_MAX / 8) {
        PyErr_SetString(PyExc_ValueError, "too many tokens");
        return NULL;
    }
    PyObject *out = PyTuple_New(LAYERS);
    if (out == NULL)
        return NULL;
    for (int l = 0; l < LAYERS; l++) {
        PyObject *lst = PyList_New(0);
        if (lst == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, l, lst);
    }
    if (n == 0)
        return out;
    /* one block: ids, stack, one gap buffer per layer (ints), then brk (chars) */
    size_t ints = (size_t)n * (2 + LAYERS);
    int *block = PyMem_Malloc(sizeof(int) * ints + (size_t)n);
    if (block == NULL) {
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    int *ids = block;
    char *brks = (char *)(block + ints);
    Walk k = {.w = self, .keys = ((PyListObject *)keys)->ob_item, .ids = ids, .brk = brks, .n = (int)n,
              .stack = block + n};
    for (int l = 0; l < LAYERS; l++)
        k.best[l].gap = block + n * (2 + l);
    for (Py_ssize_t x = 0; x < n; x++) {
        PyObject *key = PyList_GET_ITEM(keys, x);
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "keys must be str");
            goto fail;
        }
        PyObject *id = PyDict_GetItemWithError(self->vocabulary, key);
        if (id == NULL && PyErr_Occurred())
            goto fail;
        ids[x] = id == NULL ? 0 : (int)PyLong_AsLong(id);
        int t = PyObject_IsTrue(PyList_GET_ITEM(brk, x));
        if (t < 0)
            goto fail;
        brks[x] = (char)t;
    }
    for (int i = 0; i < n; i++) {
        int first = child_of(self, self->root, ids[i]);
        if (first < 0)
            continue;
        for (int l = 0; l < LAYERS; l++)
            k.best[l].have = 0;
        if (walk(&k, first, i + 1, 0) < 0)
            goto fail;
        for (int l = 0; l < LAYERS; l++) {
            Best *b = &k.best[l];
            if (!b->have)
                continue;
            PyObject *m = make_match(self, b->entry, i, b->j, b->gap, b->gap_len);
            if (m == NULL)
                goto fail;
            int bad = PyList_Append(PyTuple_GET_ITEM(out, l), m);
            Py_DECREF(m);
            if (bad)
                goto fail;
        }
    }
    PyMem_Free(block);
    return out;
fail:
    PyMem_Free(block);
    Py_DECREF(out);
    return NULL;
}

/* Copy a sequence of ints (a list or an array('i')) into a new int32 array of exactly `want` items
 * (want < 0: any length, stored in *got). */
static int32_t *ints_of(PyObject *seq, Py_ssize_t want, Py_ssize_t *got, const char *name) {
    PyObject *fast = PySequence_Fast(seq, name);
    if (fast == NULL)
        return NULL;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    if (want >= 0 && len != want) {
        PyErr_Format(PyExc_ValueError, "%s: %zd items, expected %zd", name, len, want);
        Py_DECREF(fast);
        return NULL;
    }
    int32_t *out = PyMem_Malloc(sizeof(int32_t) * (size_t)(len ? len : 1));
    if (out == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t x = 0; x < len; x++) {
        long v = PyLong_AsLong(PySequence_Fast_GET_ITEM(fast, x));
        if (v == -1 && PyErr_Occurred()) {
            PyMem_Free(out);
            Py_DECREF(fast);
            return NULL;
        }
        if (v < INT32_MIN || v > INT32_MAX) {
            PyErr_Format(PyExc_OverflowError, "%s: value out of range", name);
            PyMem_Free(out);
            Py_DECREF(fast);
            return NULL;
        }
        out[x] = (int32_t)v;
    }
    if (got)
        *got = len;
    Py_DECREF(fast);
    return out;
}

static int check_slices(const int32_t *off, Py_ssize_t nodes, Py_ssize_t items, const int32_t *targets,
                        Py_ssize_t limit, const char *name) {
    if (off[0] != 0 || off[nodes] != items) {
        PyErr_Format(PyExc_ValueError, "%s: offsets do not cover the items", name);
        return -1;
    }
    for (Py_ssize_t x = 0; x < nodes; x++)
        if (off[x] > off[x + 1]) {
            PyErr_Format(PyExc_ValueError, "%s: offsets go backwards", name);
            return -1;
        }
    if (targets)
        for (Py_ssize_t x = 0; x < items; x++)
            if (targets[x] < 0 || targets[x] >= limit) {
                PyErr_Format(PyExc_ValueError, "%s: index out of range", name);
                return -1;
            }
    return 0;
}

/* Walker(nodes, root, edges, ends, stems, gaps, vocabulary, entries, match_type)
 *   edges: (node list, word id list, child list)
 *   ends: (offsets[nodes + 1], layer list, entry index list, rank list)
 *   stems: (offsets[nodes + 1], stem str list, child list)   each node's stems longest first
 *   gaps: (offsets[nodes + 1], window list, child list)
 */
static int Walker_init(Walker *self, PyObject *args, PyObject *kwds) {
    Py_ssize_t nodes;
    int root;
    PyObject *edges, *ends, *stems, *gaps, *vocabulary, *entries, *match_type;
    static char *kwlist[] = {"nodes", "root", "edges", "ends", "stems", "gaps", "vocabulary", "entries",
                             "match_type", NULL};
    if (self->end_off != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Walker is already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "niO!O!O!O!O!O!O!:Walker", kwlist, &nodes, &root,
                                     &PyTuple_Type, &edges, &PyTuple_Type, &ends, &PyTuple_Type, &stems,
                                     &PyTuple_Type, &gaps, &PyDict_Type, &vocabulary, &PyList_Type, &entries,
                                     &PyType_Type, &match_type))
        return -1;
    if (nodes <= 0 || nodes >= INT32_MAX || root < 0 || root >= nodes) {
        PyErr_SetString(PyExc_ValueError, "bad node count or root");
        return -1;
    }
    if (!PyType_IsSubtype((PyTypeObject *)match_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "match_type must be a tuple subclass");
        return -1;
    }
    if (PyTuple_GET_SIZE(edges) != 3 || PyTuple_GET_SIZE(ends) != 4 || PyTuple_GET_SIZE(stems) != 3 ||
        PyTuple_GET_SIZE(gaps) != 3) {
        PyErr_SetString(PyExc_ValueError, "edges, ends, stems, gaps: wrong tuple sizes");
        return -1;
    }
    self->nodes = nodes;
    self->root = root;
    Py_ssize_t n_edges, n_ends, n_stems, n_gaps, len;
    int32_t *e_node = NULL, *e_word = NULL;
    int ok = -1;
    if (!(e_node = ints_of(PyTuple_GET_ITEM(edges, 0), -1, &n_edges, "edge nodes")) ||
        !(e_word = ints_of(PyTuple_GET_ITEM(edges, 1), n_edges, NULL, "edge words")) ||
        !(self->end_off = ints_of(PyTuple_GET_ITEM(ends, 0), nodes + 1, NULL, "end offsets")) ||
        !(self->end_layer = ints_of(PyTuple_GET_ITEM(ends, 1), -1, &n_ends, "end layers")) ||
        !(self->end_entry = ints_of(PyTuple_GET_ITEM(ends, 2), n_ends, NULL, "end entries")) ||
        !(self->end_rank = ints_of(PyTuple_GET_ITEM(ends, 3), n_ends, NULL, "end ranks")) ||
        !(self->stem_off = ints_of(PyTuple_GET_ITEM(stems, 0), nodes + 1, NULL, "stem offsets")) ||
        !(self->stem_child = ints_of(PyTuple_GET_ITEM(stems, 2), -1, &n_stems, "stem children")) ||
        !(self->gap_off = ints_of(PyTuple_GET_ITEM(gaps, 0), nodes + 1, NULL, "gap offsets")) ||
        !(self->gap_most = ints_of(PyTuple_GET_ITEM(gaps, 1), -1, &n_gaps, "gap windows")) ||
        !(self->gap_child = ints_of(PyTuple_GET_ITEM(gaps, 2), n_gaps, NULL, "gap children")))
        goto done;
    int32_t *e_child = ints_of(PyTuple_GET_ITEM(edges, 2), n_edges, NULL, "edge children");
    if (e_child == NULL)
        goto done;
    if (check_slices(self->end_off, nodes, n_ends, NULL, 0, "ends") ||
        check_slices(self->stem_off, nodes, n_stems, self->stem_child, nodes, "stems") ||
        check_slices(self->gap_off, nodes, n_gaps, self->gap_child, nodes, "gaps"))
        goto free_child;
    for (Py_ssize_t x = 0; x < n_ends; x++)
        if (self->end_layer[x] < 0 || self->end_layer[x] >= LAYERS || self->end_entry[x] < 0 ||
            self->end_entry[x] >= PyList_GET_SIZE(entries)) {
            PyErr_SetString(PyExc_ValueError, "ends: layer or entry out of range");
            goto free_child;
        }
    for (Py_ssize_t x = 0; x < n_gaps; x++)
        if (self->gap_most[x] < 0) {
            PyErr_SetString(PyExc_ValueError, "gaps: negative window");
            goto free_child;
        }
    /* stems: own a reference to each string */
    PyObject *stem_list = PySequence_Fast(PyTuple_GET_ITEM(stems, 1), "stem strings");
    if (stem_list == NULL)
        goto free_child;
    len = PySequence_Fast_GET_SIZE(stem_list);
    if (len != n_stems) {
        PyErr_SetString(PyExc_ValueError, "stems: strings and children differ in number");
        Py_DECREF(stem_list);
        goto free_child;
    }
    self->stem_str = PyMem_Calloc((size_t)(len ? len : 1), sizeof(PyObject *));
    if (self->stem_str == NULL) {
        PyErr_NoMemory();
        Py_DECREF(stem_list);
        goto free_child;
    }
    self->stem_count = len;
    for (Py_ssize_t x = 0; x < len; x++) {
        PyObject *s = PySequence_Fast_GET_ITEM(stem_list, x);
        if (!PyUnicode_Check(s)) {
            PyErr_SetString(PyExc_TypeError, "stems must be str");
            Py_DECREF(stem_list);
            goto free_child;
        }
        Py_INCREF(s);
        self->stem_str[x] = s;
    }
    Py_DECREF(stem_list);
    /* plain: no end, no stem, no gap */
    self->plain = PyMem_Malloc((size_t)nodes);
    if (self->plain == NULL) {
        PyErr_NoMemory();
        goto free_child;
    }
    for (Py_ssize_t x = 0; x < nodes; x++)
        self->plain[x] = self->end_off[x] == self->end_off[x + 1] && self->stem_off[x] == self->stem_off[x + 1] &&
                         self->gap_off[x] == self->gap_off[x + 1];
    /* literal edges into the hash table, at most half full */
    uint64_t size = 16;
    while (size < (uint64_t)n_edges * 2)
        size <<= 1;
    self->edge_mask = size - 1;
    self->edge_key = PyMem_Malloc(sizeof(uint64_t) * size);
    self->edge_child = PyMem_Malloc(sizeof(int32_t) * size);
    if (self->edge_key == NULL || self->edge_child == NULL) {
        PyErr_NoMemory();
        goto free_child;
    }
    memset(self->edge_key, 0xff, sizeof(uint64_t) * size);
    for (Py_ssize_t x = 0; x < n_edges; x++) {
        if (e_node[x] < 0 || e_node[x] >= nodes || e_child[x] < 0 || e_child[x] >= nodes || e_word[x] <= 0) {
            PyErr_SetString(PyExc_ValueError, "edges: node, word or child out of range");
            goto free_child;
        }
        uint64_t key = ((uint64_t)(uint32_t)e_node[x] << 32) | (uint32_t)e_word[x];
        uint64_t s = slot_of(key, self->edge_mask);
        while (self->edge_key[s] != UINT64_MAX && self->edge_key[s] != key)
            s = (s + 1) & self->edge_mask;
        if (self->edge_key[s] == key) {
            PyErr_SetString(PyExc_ValueError, "edges: the same word twice from one node");
            goto free_child;
        }
        self->edge_key[s] = key;
        self->edge_child[s] = e_child[x];
    }
    Py_INCREF(vocabulary);
    self->vocabulary = vocabulary;
    Py_INCREF(entries);
    self->entries = entries;
    Py_INCREF(match_type);
    self->match_type = (PyTypeObject *)match_type;
    ok = 0;
free_child:
    PyMem_Free(e_child);
done:
    PyMem_Free(e_node);
    PyMem_Free(e_word);
    return ok;
}

static void Walker_dealloc(Walker *self) {
    PyMem_Free(self->edge_key);
    PyMem_Free(self->edge_child);
    PyMem_Free(self->end_off);
    PyMem_Free(self->end_layer);
    PyMem_Free(self->end_entry);
    PyMem_Free(self->end_rank);
    PyMem_Free(self->stem_off);
    PyMem_Free(self->stem_child);
    if (self->stem_str)
        for (Py_ssize_t x = 0; x < self->stem_count; x++)
            Py_XDECREF(self->stem_str[x]);
    PyMem_Free(self->stem_str);
    PyMem_Free(self->gap_off);
    PyMem_Free(self->gap_most);
    PyMem_Free(self->gap_child);
    PyMem_Free(self->plain);
    Py_XDECREF(self->vocabulary);
    Py_XDECREF(self->entries);
    Py_XDECREF(self->match_type);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Walker_find_checked(Walker *self, PyObject *args) {
    if (self->vocabulary == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Walker is not initialised");
        return NULL;
    }
    return Walker_find(self, args);
}

static PyMethodDef Walker_methods[] = {
    {"find", (PyCFunction)Walker_find_checked, METH_VARARGS,
     "find(keys, brk) -> (signal, idiom, context, cue): per layer, the longest match from each start."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject WalkerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "helpline.distress._native.Walker",
    .tp_basicsize = sizeof(Walker),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The compiled trie as flat arrays, walked in C.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Walker_init,
    .tp_dealloc = (destructor)Walker_dealloc,
    .tp_methods = Walker_methods,
};

/* ---------------------------------------------------------------- Scorer */

typedef struct {
    PyObject_HEAD
    PyObject *vocabulary;           /* dict: word -> id (1..) */
    Py_ssize_t words;               /* ids run 1..words */
    double *weight;                 /* by word id (0 for a word known only from pairs) */
    uint64_t *pair_key;             /* open addressing on (id << 32 | id) */
    double *pair_weight;
    uint64_t pair_mask;
} Scorer;

/* Scorer(vocabulary, weights, pair_firsts, pair_seconds, pair_weights)
 *   weights[id] for id in 0..len(vocabulary) (weights[0] unused); pairs by word ids */
static int Scorer_init(Scorer *self, PyObject *args, PyObject *kwds) {
    PyObject *vocabulary, *weights, *firsts, *seconds, *pair_weights;
    static char *kwlist[] = {"vocabulary", "weights", "pair_firsts", "pair_seconds", "pair_weights", NULL};
    if (self->weight != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Scorer is already initialised");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOOO:Scorer", kwlist, &PyDict_Type, &vocabulary, &weights,
                                     &firsts, &seconds, &pair_weights))
        return -1;
    Py_ssize_t words = PyDict_GET_SIZE(vocabulary), pairs;
    PyObject *w = PySequence_Fast(weights, "weights"), *pw = NULL;
    int32_t *a = NULL, *b = NULL;
    int ok = -1;
    if (w == NULL)
        return -1;
    if (PySequence_Fast_GET_SIZE(w) != words + 1) {
        PyErr_SetString(PyExc_ValueError, "weights: one per word id, and one unused for id 0");
        goto done;
    }
    if (!(a = ints_of(firsts, -1, &pairs, "pair firsts")) || !(b = ints_of(seconds, pairs, NULL, "pair seconds")) ||
        !(pw = PySequence_Fast(pair_weights, "pair weights")))
        goto done;
    if (PySequence_Fast_GET_SIZE(pw) != pairs) {
        PyErr_SetString(PyExc_ValueError, "pair weights: one per pair");
        goto done;
    }
    self->weight = PyMem_Calloc((size_t)words + 1, sizeof(double));
    if (self->weight == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t x = 1; x <= words; x++) {
        self->weight[x] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(w, x));
        if (self->weight[x] == -1.0 && PyErr_Occurred())
            goto done;
    }
    uint64_t size = 16;
    while (size < (uint64_t)pairs * 2)
        size <<= 1;
    self->pair_mask = size - 1;
    self->pair_key = PyMem_Malloc(sizeof(uint64_t) * size);
    self->pair_weight = PyMem_Malloc(sizeof(double) * size);
    if (self->pair_key == NULL || self->pair_weight == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memset(self->pair_key, 0xff, sizeof(uint64_t) * size);
    for (Py_ssize_t x = 0; x < pairs; x++) {
        if (a[x] <= 0 || a[x] > words || b[x] <= 0 || b[x] > words) {
            PyErr_SetString(PyExc_ValueError, "pairs: word id out of range");
            goto done;
        }
        double v = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(pw, x));
        if (v == -1.0 && PyErr_Occurred())
            goto done;
        uint64_t key = ((uint64_t)(uint32_t)a[x] << 32) | (uint32_t)b[x];
        uint64_t s = slot_of(key, self->pair_mask);
        while (self->pair_key[s] != UINT64_MAX && self->pair_key[s] != key)
            s = (s + 1) & self->pair_mask;
        if (self->pair_key[s] == key) {
            PyErr_SetString(PyExc_ValueError, "pairs: the same pair twice");
            goto done;
        }
        self->pair_key[s] = key;
        self->pair_weight[s] = v;
    }
    Py_INCREF(vocabulary);
    self->vocabulary = vocabulary;
    self->words = words;
    ok = 0;
done:
    Py_DECREF(w);
    Py_XDECREF(pw);
    PyMem_Free(a);
    PyMem_Free(b);
    return ok;
}

/* Add `key` to a set of nonzero keys (open addressing, `mask` + 1 slots, 0 = empty): 1 when new. */
static inline int add_once(uint64_t *set, uint64_t mask, uint64_t key) {
    for (uint64_t s = slot_of(key, mask);; s = (s + 1) & mask) {
        if (set[s] == key)
            return 0;
        if (set[s] == 0) {
            set[s] = key;
            return 1;
        }
    }
}

/* Scorer.weights(keys: list[str]) -> float: the sum of the weights of the distinct words and the
 * distinct neighbouring pairs (learned.py adds the bias). */
static PyObject *Scorer_weights(Scorer *self, PyObject *keys) {
    if (self->vocabulary == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Scorer is not initialised");
        return NULL;
    }
    if (!PyList_Check(keys)) {
        PyErr_SetString(PyExc_TypeError, "keys must be a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(keys);
    if (n == 0)
        return PyFloat_FromDouble(0.0);
    uint64_t size = 16;
    while (size < (uint64_t)n * 4)
        size <<= 1;
    /* ids, then one set for words and pairs (word keys have a zero high half, pairs do not) */
    size_t bytes = sizeof(int32_t) * (size_t)n + sizeof(uint64_t) * size;
    char *block = PyMem_Calloc(1, bytes);
    if (block == NULL)
        return PyErr_NoMemory();
    int32_t *ids = (int32_t *)block;
    uint64_t *seen = (uint64_t *)(block + sizeof(int32_t) * (size_t)n);
    double total = 0.0;
    for (Py_ssize_t x = 0; x < n; x++) {
        PyObject *key = PyList_GET_ITEM(keys, x);
        PyObject *id = PyUnicode_Check(key) ? PyDict_GetItemWithError(self->vocabulary, key) : NULL;
        if (id == NULL && PyErr_Occurred()) {
            PyMem_Free(block);
            return NULL;
        }
        ids[x] = id == NULL ? 0 : (int32_t)PyLong_AsLong(id);
        if (ids[x] > 0 && add_once(seen, size - 1, (uint64_t)ids[x]))
            total += self->weight[ids[x]];
    }
    for (Py_ssize_t x = 0; x + 1 < n; x++) {
        if (ids[x] <= 0 || ids[x + 1] <= 0)
            continue;
        uint64_t key = ((uint64_t)(uint32_t)ids[x] << 32) | (uint32_t)ids[x + 1];
        for (uint64_t s = slot_of(key, self->pair_mask);; s = (s + 1) & self->pair_mask) {
            if (self->pair_key[s] == key) {
                if (add_once(seen, size - 1, key))
                    total += self->pair_weight[s];
                break;
            }
            if (self->pair_key[s] == UINT64_MAX)
                break;
        }
    }
    PyMem_Free(block);
    return PyFloat_FromDouble(total);
}

static void Scorer_dealloc(Scorer *self) {
    PyMem_Free(self->weight);
    PyMem_Free(self->pair_key);
    PyMem_Free(self->pair_weight);
    Py_XDECREF(self->vocabulary);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Scorer_methods[] = {
    {"weights", (PyCFunction)Scorer_weights, METH_O,
     "weights(keys) -> float: the summed weights of the distinct words and neighbouring pairs."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "helpline.distress._native.Scorer",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Learned word and pair weights by word id.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scorer_init,
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_methods = Scorer_methods,
};

/* ---------------------------------------------------------------- split */

static inline int is_emoji(Py_UCS4 c) {
    return (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) || c == 0x2B50 || c == 0x2B55;
}

static inline int is_break(Py_UCS4 c) {
    return c == '.' || c == '!' || c == '?' || c == ';' || c == '\n' || c == 0x2026;
}

static int append_int(PyObject *list, Py_ssize_t v) {
    PyObject *x = PyLong_FromSsize_t(v);
    if (x == NULL)
        return -1;
    int bad = PyList_Append(list, x);
    Py_DECREF(x);
    return bad;
}

/* Append one key (or each key of a tuple) with the word's span; only the first keeps the break. */
static int append_keys(PyObject *keys, PyObject *brk, PyObject *starts, PyObject *ends, PyObject *found,
                       int broke, Py_ssize_t start, Py_ssize_t end) {
    if (PyUnicode_Check(found)) {
        if (PyList_Append(keys, found) || PyList_Append(brk, broke ? Py_True : Py_False) ||
            append_int(starts, start) || append_int(ends, end))
            return -1;
        return 0;
    }
    if (!PyTuple_Check(found)) {
        PyErr_SetString(PyExc_TypeError, "a word's keys must be a str or a tuple of str");
        return -1;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(found); k++) {
        PyObject *key = PyTuple_GET_ITEM(found, k);
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "a word's keys must be a str or a tuple of str");
            return -1;
        }
        if (PyList_Append(keys, key) || PyList_Append(brk, (broke && k == 0) ? Py_True : Py_False) ||
            append_int(starts, start) || append_int(ends, end))
            return -1;
    }
    return 0;
}

/* split(text, keys_of) -> (keys, brk, starts, ends): normalize.Normalizer.split's fast path.
 * Words are runs of letters and digits (Python's str.isalnum, so the same as the regex [^\W_]+)
 * or one emoji; `keys_of[word]` gives a word's key or tuple of keys (a dict, or a dict subclass whose
 * __missing__ computes it); a break is one of .!?; newline or an ellipsis between two words. */
static PyObject *native_split(PyObject *Py_UNUSED(module), PyObject *args) {
    PyObject *text, *keys_of;
    if (!PyArg_ParseTuple(args, "UO!:split", &text, &PyDict_Type, &keys_of))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *keys = PyList_New(0), *brk = PyList_New(0), *starts = PyList_New(0), *ends = PyList_New(0);
    if (keys == NULL || brk == NULL || starts == NULL || ends == NULL)
        goto fail;
    int broke = 0;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        Py_ssize_t start = i, end;
        if (c != '_' && Py_UNICODE_ISALNUM(c)) {
            end = i + 1;
            while (end < n) {
                Py_UCS4 d = PyUnicode_READ(kind, data, end);
                if (d == '_' || !Py_UNICODE_ISALNUM(d))
                    break;
                end++;
            }
        } else if (is_emoji(c)) {
            end = i + 1;
        } else {
            broke |= is_break(c);
            i++;
            continue;
        }
        PyObject *word = PyUnicode_Substring(text, start, end);
        if (word == NULL)
            goto fail;
        PyObject *found = PyDict_GetItemWithError(keys_of, word);
        if (found != NULL) {
            Py_INCREF(found);
        } else if (!PyErr_Occurred()) {
            found = PyObject_GetItem(keys_of, word);       /* __missing__ computes and stores it */
        }
        Py_DECREF(word);
        if (found == NULL)
            goto fail;
        int bad = append_keys(keys, brk, starts, ends, found, broke, start, end);
        Py_DECREF(found);
        if (bad)
            goto fail;
        broke = 0;
        i = end;
    }
    PyObject *out = PyTuple_Pack(4, keys, brk, starts, ends);
    Py_DECREF(keys);
    Py_DECREF(brk);
    Py_DECREF(starts);
    Py_DECREF(ends);
    return out;
fail:
    Py_XDECREF(keys);
    Py_XDECREF(brk);
    Py_XDECREF(starts);
    Py_XDECREF(ends);
    return NULL;
}

static PyMethodDef native_functions[] = {
    {"split", native_split, METH_VARARGS,
     "split(text, keys_of) -> (keys, brk, starts, ends): the words of text, their keys and spans."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    .m_base = PyModuleDef_HEAD_INIT, .m_name = "_native",
    .m_doc = "The detector's hot loops in C (optional; see native.py).", .m_size = -1,
    .m_methods = native_functions,
};

PyMODINIT_FUNC PyInit__native(void) {
    if (PyType_Ready(&WalkerType) < 0 || PyType_Ready(&ScorerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&native_module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Walker", (PyObject *)&WalkerType) < 0 ||
        PyModule_AddObjectRef(m, "Scorer", (PyObject *)&ScorerType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
