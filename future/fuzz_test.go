package future_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/batonlock/baton/future"
)

// FuzzCombinators builds a random tree of Then, Recover, All, Race and Any over leaves with
// random outcomes (settled at once, settled by a goroutine, settled by a promise later) and
// checks every node against a plain sequential model of the same tree.
//
// Outcomes are written canonically ("v:abc" for a value, "e:7" for an error, "p:e:7" for a
// panic with error 7, "j(e:1;e:2)" for errors.Join, "none" for ErrNoFutures). Where
// scheduling may change the outcome (which source a Race sees first, which error All sees
// first), the model gives the set of outcomes that are possible, and the result must be one
// of them. Nodes that are settled when they are made (their outcome is decided without any
// goroutine) must be settled at once with exactly the outcome the model gives.
func FuzzCombinators(f *testing.F) {
	// Bytes are read as: node kind (mod 10), a parameter, then for All/Race/Any the number
	// of children (mod 4) and the children. Kinds: 0 resolved, 1 rejected, 2 Go, 3 promise
	// settled later, 4-5 Then, 6 All, 7 Race, 8 Any, 9 Recover.
	for _, seed := range [][]byte{
		{0, 1}, {1, 3}, {2, 5}, {3, 9}, {3, 6},
		{6, 0, 3, 0, 1, 0, 2, 0, 4}, // All of three values
		{6, 0, 3, 2, 1, 3, 3, 0, 7}, // All with an error from a promise
		{6, 0, 3, 1, 1, 0, 2, 1, 4}, // All settled when made: first error in order
		{7, 0, 2, 2, 1, 3, 2},       // Race of Go and promise
		{7, 0, 2, 0, 1, 3, 2},       // Race won by the settled first input
		{8, 0, 2, 1, 3, 1, 6},       // Any, all failed: joined errors in order
		{8, 0, 3, 3, 3, 2, 4, 1, 5}, // Any with one success
		{4, 1, 2, 5}, {4, 2, 0, 1},  // Then over Go; Then that panics
		{9, 1, 1, 3}, {9, 0, 4, 2, 0, 1}, // Recover an error; recover a panic
		{6, 0, 2, 4, 1, 2, 5, 9, 2, 1, 3}, // All of Then and Recover
		{9, 3, 8, 0, 2, 3, 3, 1, 6},       // Recover a joined error
		{6, 0, 0}, {7, 0, 0}, {8, 0, 0},   // empty All, Race, Any
		{4, 5, 6, 1, 2, 7, 2, 2, 1, 3, 3, 9, 2, 8, 1, 1, 4, 3, 2, 1, 5, 2, 2, 2},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &builder{t: t, data: data}
		root := b.node(0)
		for _, r := range b.later { // settle the promises only once the whole tree exists
			b.wg.Add(1)
			go func() { defer b.wg.Done(); r() }()
		}
		for i, n := range b.nodes {
			v, err := await(t, n.f)
			got := canon(v, err)
			if n.model.known() && !n.model.has(got) {
				t.Fatalf("node %d (%s): got %q, model allows %v", i, n.desc, got, n.model.list())
			}
		}
		_ = root
		b.wg.Wait()
	})
}

// node is one future of the tree with its model.
type node struct {
	f     *future.Future[string]
	model outcomes
	// sync: the node was settled when made; its model then holds exactly one outcome.
	sync bool
	desc string
}

type builder struct {
	t     *testing.T
	data  []byte
	pos   int
	nodes []*node
	later []func()
	wg    sync.WaitGroup
}

func (b *builder) next() byte {
	if b.pos >= len(b.data) {
		return 0
	}
	c := b.data[b.pos]
	b.pos++
	return c
}

const maxDepth = 4

func (b *builder) node(depth int) *node {
	kind := b.next() % 10
	if depth >= maxDepth {
		kind %= 4 // leaves only
	}
	k := b.next()
	var n *node
	switch kind {
	case 0:
		n = &node{f: future.Resolved(fmt.Sprint(k)), model: one("v:" + fmt.Sprint(k)), sync: true, desc: "resolved"}
	case 1:
		n = &node{f: future.Rejected[string](codeErr(k)), model: one(fmt.Sprintf("e:%d", k)), sync: true, desc: "rejected"}
	case 2:
		n = &node{f: future.Go(context.Background(), func(context.Context) (string, error) { return leafOp(k) }),
			model: one(canon(leafOp(k))), desc: "go"}
	case 3:
		p, resolve, reject := future.NewPromise[string]()
		b.later = append(b.later, func() {
			if v, err := leafOp(k); err != nil {
				reject(err)
			} else {
				resolve(v)
			}
		})
		n = &node{f: p, model: one(canon(leafOp(k))), desc: "promise"}
	case 4, 5:
		c := b.node(depth + 1)
		n = &node{f: future.Then(c.f, func(_ context.Context, s string) (string, error) { return thenOp(k, s) }),
			model: c.model.mapValues(func(s string) string { return callCanon(func() (string, error) { return thenOp(k, s) }) }),
			desc:  "then"}
		n.sync = c.sync && !c.model.only("v:")
	case 6:
		kids := b.kids(depth)
		n = b.all(kids)
	case 7:
		kids := b.kids(depth)
		n = &node{f: future.Race(context.Background(), futures(kids)...), model: raceModel(kids), desc: "race"}
		n.sync = len(kids) == 0 || kids[0].sync
	case 8:
		kids := b.kids(depth)
		n = &node{f: future.Any(context.Background(), futures(kids)...), model: anyModel(kids), desc: "any"}
		n.sync = len(kids) == 0 || allSync(kids)
	case 9:
		c := b.node(depth + 1)
		n = &node{f: future.Recover(c.f, func(_ context.Context, err error) (string, error) { return recoverOp(k, err) }),
			model: c.model.mapErrors(func(e string) string { return callCanon(func() (string, error) { return recoverOp(k, modelErr(e)) }) }),
			desc:  "recover"}
		n.sync = c.sync && c.model.only("v:")
	}
	if n.sync {
		v, err, ok := n.f.Peek()
		if !ok || !n.model.has(canon(v, err)) {
			b.t.Fatalf("%s node was not settled at once with %v: ok=%v got %q", n.desc, n.model.list(), ok, canon(v, err))
		}
	}
	b.nodes = append(b.nodes, n)
	return n
}

func (b *builder) kids(depth int) []*node {
	kids := make([]*node, b.next()%4)
	for i := range kids {
		kids[i] = b.node(depth + 1)
	}
	return kids
}

// all makes Then(All(kids), join), so that every node of the tree is a Future[string].
func (b *builder) all(kids []*node) *node {
	all := future.All(context.Background(), futures(kids)...)
	f := future.Then(all, func(_ context.Context, vs []string) (string, error) { return "[" + strings.Join(vs, " ") + "]", nil })
	m := outcomes{set: map[string]bool{}}
	combos := []string{""}
	for i, c := range kids {
		if !c.model.known() {
			return &node{f: f, model: outcomes{}, desc: "all"}
		}
		var next []string
		for o := range c.model.set {
			if strings.HasPrefix(o, "v:") {
				for _, prefix := range combos {
					sep := " "
					if i == 0 {
						sep = ""
					}
					next = append(next, prefix+sep+o[2:])
				}
			} else {
				m.set[o] = true // any error may be the first one seen
			}
		}
		combos = next
		if len(combos) > maxOutcomes {
			return &node{f: f, model: outcomes{}, desc: "all"}
		}
	}
	for _, c := range combos {
		m.set["v:["+c+"]"] = true
	}
	n := &node{f: f, model: m, desc: "all"}
	if allSync(kids) { // All settled when made: the first error in order, or every value
		n.model = one(firstOutcome(kids, combos))
		n.sync = !n.model.only("v:") // the joining Then runs on a goroutine for a value
	}
	return n
}

func firstOutcome(kids []*node, combos []string) string {
	for _, c := range kids {
		if o := c.model.list()[0]; !strings.HasPrefix(o, "v:") {
			return o
		}
	}
	return "v:[" + combos[0] + "]"
}

// raceModel: the winner is among the kids up to the first that was settled when the Race
// was made (a later kid can never be seen first), or any kid if none was.
func raceModel(kids []*node) outcomes {
	if len(kids) == 0 {
		return one("none")
	}
	m := outcomes{set: map[string]bool{}}
	for _, c := range kids {
		if !c.model.known() {
			return outcomes{}
		}
		for o := range c.model.set {
			m.set[o] = true
		}
		if c.sync {
			break
		}
	}
	return m
}

// anyModel: any value a kid may resolve with, up to the first kid settled with a value when
// Any was made; or, when every kid may fail, the join of their errors in order.
func anyModel(kids []*node) outcomes {
	if len(kids) == 0 {
		return one("none")
	}
	m := outcomes{set: map[string]bool{}}
	joins := []string{""}
	for i, c := range kids {
		if !c.model.known() {
			return outcomes{}
		}
		var next []string
		for o := range c.model.set {
			if strings.HasPrefix(o, "v:") {
				m.set[o] = true
				continue
			}
			for _, prefix := range joins {
				sep := ";"
				if i == 0 {
					sep = ""
				}
				next = append(next, prefix+sep+o)
			}
		}
		joins = next
		if len(joins) > maxOutcomes {
			return outcomes{}
		}
	}
	for _, j := range joins {
		m.set["j("+j+")"] = true
	}
	if allSync(kids) {
		for _, c := range kids { // the first value in order wins when all were settled
			if o := c.model.list()[0]; strings.HasPrefix(o, "v:") {
				return one(o)
			}
		}
	}
	return m
}

func futures(ns []*node) []*future.Future[string] {
	fs := make([]*future.Future[string], len(ns))
	for i, n := range ns {
		fs[i] = n.f
	}
	return fs
}

func allSync(ns []*node) bool {
	for _, n := range ns {
		if !n.sync {
			return false
		}
	}
	return true
}
