package latentode_test

import (
	"fmt"

	"github.com/whitebox-de/whitebox/nn"
	"github.com/whitebox-de/whitebox/tasks/latentode"
)

func ExampleNewModel() {
	m, err := latentode.NewModel(latentode.DefaultArch(), 1999)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, name := range m.Group.Names {
		fmt.Printf("%-11s %s\n", name, m.Group.Modules[i].Spec())
	}
	fmt.Println("parameters:", nn.Flatten(m.Params()).Len())
	// Output:
	// update_gate chain[dense(175->40,tanh) dense(40->50,sigmoid)]
	// reset_gate  chain[dense(175->40,tanh) dense(40->50,sigmoid)]
	// new_state   chain[dense(175->40,tanh) dense(40->100)]
	// rec_to_gen  chain[dense(100->50,tanh) dense(50->40)]
	// dynamics    chain[map(tanh) dense(20->50,tanh) dense(50->20,tanh) dense(20->50,tanh) dense(50->20,tanh) dense(20->50,tanh) dense(50->20,tanh) dense(20->50,tanh) dense(50->20,tanh)]
	// decoder     dense(20->37)
	// parameters: 45467
}
