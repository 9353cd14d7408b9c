// Package gradcheck holds the helpers the solvers' gradient tests share:
// random directions, a weighted loss of saved states with its cotangents,
// flattened parameter gradients, and the loss of a frozen solve replayed at
// perturbed inputs (for central finite differences).
package gradcheck
