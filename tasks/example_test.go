package tasks_test

import (
	"errors"
	"fmt"

	"github.com/whitebox-de/whitebox/tasks"
	_ "github.com/whitebox-de/whitebox/tasks/spiral" // registers "spiral"
	"github.com/whitebox-de/whitebox/train"
)

// A command looks a task up by name, and the settings enumerate its runs
// seed-major: every method with the first seed, then with the next seed,
// whose methods start one further along.
func Example() {
	t, err := tasks.New("spiral")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Info().Name, t.Info().Methods)
	s := tasks.Settings{Methods: []train.Method{{}, {Error: true}}, Seeds: []uint64{1999, 2000}}
	for _, r := range s.Runs() {
		fmt.Println(r.Index, tasks.RunName("spiral", r.Method, r.Seed))
	}
	_, err = tasks.New("no-such-task")
	fmt.Println(errors.Is(err, tasks.ErrUnknown))
	// Output:
	// spiral [vanilla error stiffness error+stiffness steer]
	// 0 spiral/vanilla/seed=1999
	// 1 spiral/error/seed=1999
	// 2 spiral/error/seed=2000
	// 3 spiral/vanilla/seed=2000
	// true
}
