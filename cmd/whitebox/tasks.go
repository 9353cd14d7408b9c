package main

// The registry of the command's tasks: each package registers its task
// (tasks.Register) from an init function. A new experiment is one package
// under tasks/ and one line here.
import (
	_ "github.com/whitebox-de/whitebox/tasks/latentode"
	_ "github.com/whitebox-de/whitebox/tasks/mnistnode"
	_ "github.com/whitebox-de/whitebox/tasks/mnistnsde"
	_ "github.com/whitebox-de/whitebox/tasks/spiral"
	_ "github.com/whitebox-de/whitebox/tasks/spiralsde"
)
