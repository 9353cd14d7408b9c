package nn

import (
	"fmt"

	"github.com/whitebox-de/whitebox/ad"
)

// Chain applies its layers in order.
type Chain struct {
	Layers []Layer
}

// NewChain returns the composition of layers, first applied first.
func NewChain(layers ...Layer) *Chain { return &Chain{Layers: layers} }

// Forward applies every layer's Forward; time-dependent layers see t = 0.
func (c *Chain) Forward(x ad.Var) ad.Var {
	for _, l := range c.Layers {
		x = l.Forward(x)
	}
	return x
}

// ForwardT applies ForwardT(x, t) to the layers that are TimeLayers and
// Forward to the others.
func (c *Chain) ForwardT(x ad.Var, t float64) ad.Var {
	for _, l := range c.Layers {
		if tl, ok := l.(TimeLayer); ok {
			x = tl.ForwardT(x, t)
		} else {
			x = l.Forward(x)
		}
	}
	return x
}

// Params returns the layers' parameters, first layer first.
func (c *Chain) Params() []*ad.Param {
	var ps []*ad.Param
	for _, l := range c.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Spec returns {"type":"chain","layers":[...]}.
func (c *Chain) Spec() Spec {
	s := Spec{Type: TypeChain, Layers: make([]Spec, len(c.Layers))}
	for i, l := range c.Layers {
		s.Layers[i] = l.Spec()
	}
	return s
}

// Map applies an elementwise function with no parameters, such as x -> x^3
// before the spiral models' first dense layer.
type Map struct {
	Fn string
}

// Elementwise functions for Map, besides the activations (identity, tanh,
// relu, sigmoid, softplus).
const (
	FnCube   = "cube"   // x^3
	FnSquare = "square" // x^2
)

// NewMap returns the elementwise layer x -> fn(x); fn is FnCube, FnSquare or
// an Activation name. It panics on an unknown fn.
func NewMap(fn string) *Map {
	if !knownFn(fn) {
		panic(fmt.Sprintf("nn: NewMap: unknown function %q (want cube, square, identity, tanh, relu, sigmoid or softplus)", fn))
	}
	return &Map{Fn: fn}
}

// Cube returns the layer x -> x^3.
func Cube() *Map { return NewMap(FnCube) }

func knownFn(fn string) bool {
	if fn == FnCube || fn == FnSquare {
		return true
	}
	_, ok := Activation(fn).norm()
	return ok && fn != ""
}

// Forward records fn(x).
func (m *Map) Forward(x ad.Var) ad.Var { return apply(m.Fn, x) }

// ForwardT ignores t.
func (m *Map) ForwardT(x ad.Var, _ float64) ad.Var { return m.Forward(x) }

// Params returns nil: a Map has no parameters.
func (m *Map) Params() []*ad.Param { return nil }

// Spec returns {"type":"map","fn":..}.
func (m *Map) Spec() Spec { return Spec{Type: TypeMap, Fn: m.Fn} }

// Group is a set of named modules saved together, such as the encoder,
// dynamics and decoder of a latent ODE. Its parameters are the modules'
// parameters in order.
type Group struct {
	Names   []string
	Modules []Module
}

// NewGroup pairs names with modules. It panics if the lengths differ or a
// name is empty, repeated or contains a dot (the separator of parameter
// names in model files).
func NewGroup(names []string, modules ...Module) *Group {
	if len(names) != len(modules) {
		panic(fmt.Sprintf("nn: NewGroup: %d names for %d modules", len(names), len(modules)))
	}
	if err := checkNames(names); err != nil {
		panic(err.Error())
	}
	return &Group{Names: names, Modules: modules}
}

// Get returns the module called name, or nil.
func (g *Group) Get(name string) Module {
	for i, n := range g.Names {
		if n == name {
			return g.Modules[i]
		}
	}
	return nil
}

// Params returns the modules' parameters in order.
func (g *Group) Params() []*ad.Param {
	var ps []*ad.Param
	for _, m := range g.Modules {
		ps = append(ps, m.Params()...)
	}
	return ps
}

// Spec returns {"type":"group","names":[...],"modules":[...]}.
func (g *Group) Spec() Spec {
	s := Spec{Type: TypeGroup, Names: append([]string(nil), g.Names...), Modules: make([]Spec, len(g.Modules))}
	for i, m := range g.Modules {
		s.Modules[i] = m.Spec()
	}
	return s
}
