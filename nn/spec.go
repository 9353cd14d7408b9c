package nn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Spec is the serialisable description of a module, stored as JSON in model
// files. Which fields are used depends on Type:
//
//	{"type":"dense","in":2,"out":50,"act":"tanh"}
//	{"type":"timedense","in":784,"out":100,"act":"tanh"}   (W is (in+1) x out)
//	{"type":"gru","in":3,"out":50}                         (out is the state width)
//	{"type":"map","fn":"cube"}
//	{"type":"chain","layers":[...]}
//	{"type":"group","names":["enc","dec"],"modules":[...]}
type Spec struct {
	Type    string     `json:"type"`
	In      int        `json:"in,omitempty"`
	Out     int        `json:"out,omitempty"`
	Act     Activation `json:"act,omitempty"`
	Fn      string     `json:"fn,omitempty"`
	Layers  []Spec     `json:"layers,omitempty"`
	Names   []string   `json:"names,omitempty"`
	Modules []Spec     `json:"modules,omitempty"`
}

// Module types of Spec.Type.
const (
	TypeDense     = "dense"
	TypeTimeDense = "timedense"
	TypeGRU       = "gru"
	TypeMap       = "map"
	TypeChain     = "chain"
	TypeGroup     = "group"
)

// MaxDim bounds every layer width in a Spec (2^24), so that a corrupted
// description cannot ask for an absurd allocation.
const MaxDim = 1 << 24

// String summarises s, e.g. "chain[dense(784->100,tanh) dense(100->10)]".
func (s Spec) String() string {
	var b strings.Builder
	s.write(&b)
	return b.String()
}

func (s Spec) write(b *strings.Builder) {
	switch s.Type {
	case TypeDense, TypeTimeDense:
		in := fmt.Sprint(s.In)
		if s.Type == TypeTimeDense {
			in += "+t"
		}
		fmt.Fprintf(b, "%s(%s->%d", s.Type, in, s.Out)
		if a, _ := s.Act.norm(); a != Identity {
			fmt.Fprintf(b, ",%s", s.Act)
		}
		b.WriteByte(')')
	case TypeGRU:
		fmt.Fprintf(b, "gru(%d->%d)", s.In, s.Out)
	case TypeMap:
		fmt.Fprintf(b, "map(%s)", s.Fn)
	case TypeChain:
		b.WriteString("chain[")
		for i, l := range s.Layers {
			if i > 0 {
				b.WriteByte(' ')
			}
			l.write(b)
		}
		b.WriteByte(']')
	case TypeGroup:
		b.WriteString("group{")
		for i, m := range s.Modules {
			if i > 0 {
				b.WriteByte(' ')
			}
			if i < len(s.Names) {
				b.WriteString(s.Names[i])
			}
			b.WriteByte(':')
			m.write(b)
		}
		b.WriteByte('}')
	default:
		fmt.Fprintf(b, "%q", s.Type)
	}
}

// Equal reports whether s and o describe the same architecture (an omitted
// activation equals "identity").
func (s Spec) Equal(o Spec) bool {
	a, err1 := json.Marshal(s.canonical())
	b, err2 := json.Marshal(o.canonical())
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

func (s Spec) canonical() Spec {
	c := s
	if s.Type == TypeDense || s.Type == TypeTimeDense {
		if a, ok := s.Act.norm(); ok {
			c.Act = a
		}
	}
	c.Layers = canonicalAll(s.Layers)
	c.Modules = canonicalAll(s.Modules)
	return c
}

func canonicalAll(ss []Spec) []Spec {
	if len(ss) == 0 {
		return nil
	}
	out := make([]Spec, len(ss))
	for i, s := range ss {
		out[i] = s.canonical()
	}
	return out
}

// paramInfo is a parameter's name and shape as a Spec determines them.
type paramInfo struct {
	Name       string
	Rows, Cols int
}

// maxParamValues bounds the total number of parameter values a Spec may
// describe (2^40), keeping sums far from overflow.
const maxParamValues = 1 << 40

// params validates s and appends the names and shapes of its parameters, in
// Params order, with names prefixed by prefix. It allocates nothing in
// proportion to the widths, so it is safe on untrusted input.
func (s Spec) params(prefix string, out []paramInfo, total *int64) ([]paramInfo, error) {
	add := func(name string, r, c int) error {
		n := int64(r) * int64(c)
		if *total += n; *total > maxParamValues {
			return fmt.Errorf("the architecture has more than %d parameters", int64(maxParamValues))
		}
		out = append(out, paramInfo{prefix + name, r, c})
		return nil
	}
	where := func() string {
		if prefix == "" {
			return "the top-level module"
		}
		return "module " + strings.TrimSuffix(prefix, ".")
	}
	dims := func() error {
		for _, d := range []struct {
			name string
			v    int
		}{{"in", s.In}, {"out", s.Out}} {
			if d.v < 1 || d.v > MaxDim {
				return fmt.Errorf("%s (%s) has %s = %d, want 1..%d", where(), s.Type, d.name, d.v, MaxDim)
			}
		}
		return nil
	}
	if extra := s.extraFields(); extra != "" {
		return out, fmt.Errorf("%s (%s) has field %q, which a %s does not use", where(), s.Type, extra, s.Type)
	}
	switch s.Type {
	case TypeDense, TypeTimeDense:
		if err := dims(); err != nil {
			return out, err
		}
		if _, ok := s.Act.norm(); !ok {
			return out, fmt.Errorf("%s has unknown activation %q", where(), string(s.Act))
		}
		rows := s.In
		if s.Type == TypeTimeDense {
			rows++
		}
		if err := add("W", rows, s.Out); err != nil {
			return out, err
		}
		return out, add("b", 1, s.Out)
	case TypeGRU:
		if err := dims(); err != nil {
			return out, err
		}
		for _, p := range []paramInfo{{"W", s.In, 3 * s.Out}, {"U", s.Out, 3 * s.Out}, {"b", 1, 3 * s.Out}} {
			if err := add(p.Name, p.Rows, p.Cols); err != nil {
				return out, err
			}
		}
		return out, nil
	case TypeMap:
		if !knownFn(s.Fn) {
			return out, fmt.Errorf("%s has unknown function %q", where(), s.Fn)
		}
		return out, nil
	case TypeChain:
		var err error
		for i, l := range s.Layers {
			if out, err = l.params(fmt.Sprintf("%s%d.", prefix, i), out, total); err != nil {
				return out, err
			}
			if !isLayerType(l.Type) {
				return out, fmt.Errorf("%s: layer %d is a %q, which is not a layer", where(), i, l.Type)
			}
		}
		return out, nil
	case TypeGroup:
		if len(s.Names) != len(s.Modules) {
			return out, fmt.Errorf("%s: group has %d names for %d modules", where(), len(s.Names), len(s.Modules))
		}
		if err := checkNames(s.Names); err != nil {
			return out, fmt.Errorf("%s: %s", where(), strings.TrimPrefix(err.Error(), "nn: "))
		}
		var err error
		for i, m := range s.Modules {
			if out, err = m.params(prefix+s.Names[i]+".", out, total); err != nil {
				return out, err
			}
		}
		return out, nil
	}
	return out, fmt.Errorf("%s has unknown type %q (want dense, timedense, gru, map, chain or group)", where(), s.Type)
}

// extraFields names a field set in s that its type does not use, or "".
func (s Spec) extraFields() string {
	var allowed string
	switch s.Type {
	case TypeDense, TypeTimeDense:
		allowed = "in out act"
	case TypeGRU:
		allowed = "in out"
	case TypeMap:
		allowed = "fn"
	case TypeChain:
		allowed = "layers"
	case TypeGroup:
		allowed = "names modules"
	default:
		return ""
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"in", s.In != 0}, {"out", s.Out != 0}, {"act", s.Act != ""}, {"fn", s.Fn != ""},
		{"layers", s.Layers != nil}, {"names", s.Names != nil}, {"modules", s.Modules != nil},
	} {
		if f.set && !strings.Contains(" "+allowed+" ", " "+f.name+" ") {
			return f.name
		}
	}
	return ""
}

func isLayerType(t string) bool {
	return t == TypeDense || t == TypeTimeDense || t == TypeMap || t == TypeChain
}

func checkNames(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		switch {
		case n == "":
			return errors.New("nn: group module names must not be empty")
		case strings.Contains(n, "."):
			return fmt.Errorf("nn: group module name %q contains a dot, the separator of parameter names", n)
		case seen[n]:
			return fmt.Errorf("nn: group module name %q is used twice", n)
		}
		seen[n] = true
	}
	return nil
}

// Validate checks s: known types, activations and functions, widths in
// 1..MaxDim, chains made of layers, group names unique.
func (s Spec) Validate() error {
	var total int64
	if _, err := s.params("", nil, &total); err != nil {
		return fmt.Errorf("nn: invalid architecture: %w", err)
	}
	return nil
}

// Build constructs the module s describes, drawing initial weights from rng
// (Glorot-uniform, zero biases, as the constructors). The result of a
// "dense", "timedense", "map" or "chain" spec is a Layer.
func Build(s Spec, rng *rand.Rand) (Module, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	mustRNG(rng, "Build")
	return build(s, rng), nil
}

// BuildLayer is Build for specs of layers.
func BuildLayer(s Spec, rng *rand.Rand) (Layer, error) {
	if !isLayerType(s.Type) {
		return nil, fmt.Errorf("nn: BuildLayer: a %q is not a layer (want dense, timedense, map or chain)", s.Type)
	}
	m, err := Build(s, rng)
	if err != nil {
		return nil, err
	}
	return m.(Layer), nil
}

// build constructs a validated spec; with a nil rng all parameters are zero.
func build(s Spec, rng *rand.Rand) Module {
	switch s.Type {
	case TypeDense:
		d := newDense(s.In, s.Out, s.Act)
		if rng != nil {
			glorot(d.W, s.In, s.Out, rng)
		}
		return d
	case TypeTimeDense:
		d := newTimeDense(s.In, s.Out, s.Act)
		if rng != nil {
			glorot(d.W, s.In+1, s.Out, rng)
		}
		return d
	case TypeGRU:
		g := newGRU(s.In, s.Out)
		if rng != nil {
			glorot(g.W, s.In, 3*s.Out, rng)
			glorot(g.U, s.Out, 3*s.Out, rng)
		}
		return g
	case TypeMap:
		return &Map{Fn: s.Fn}
	case TypeChain:
		c := &Chain{Layers: make([]Layer, len(s.Layers))}
		for i, l := range s.Layers {
			c.Layers[i] = build(l, rng).(Layer)
		}
		return c
	case TypeGroup:
		g := &Group{Names: append([]string(nil), s.Names...), Modules: make([]Module, len(s.Modules))}
		for i, m := range s.Modules {
			g.Modules[i] = build(m, rng)
		}
		return g
	}
	panic("nn: build: unvalidated spec of type " + s.Type)
}
