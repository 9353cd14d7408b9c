package report

import "github.com/whitebox-de/whitebox/train"

// Budget is how a run trained to a prediction budget ended (a run's
// "budget" in the results JSON): the budget, the trained model's
// prediction against it, the closest approach during training, and the
// coefficient of the budgeted regularizer over training. It is
// train.BudgetOutcome, which a budgeted run returns, so a run's outcome is
// its record as it is.
type Budget = train.BudgetOutcome
