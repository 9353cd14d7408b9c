package report

// Budget is how a run trained to a prediction budget ended (a run's
// "budget" in the results JSON): the budget, the trained model's
// prediction against it, the closest approach during training, and the
// coefficient of the budgeted regularizer over training. Its fields are
// those of train.BudgetOutcome, which converts to it.
type Budget struct {
	// Regularizer is the part whose coefficient was set.
	Regularizer string `json:"regularizer"`
	// NFE is the budget, Setpoint the smoothed NFE the controller aimed at
	// and Tolerance the accepted overshoot.
	NFE       float64 `json:"nfe_budget"`
	Setpoint  float64 `json:"setpoint"`
	Tolerance float64 `json:"tolerance"`
	// PredictTimeS is the prediction-time budget and TimePerNFES the
	// measured time per NFE that converted it (seconds; 0 for NFE budgets).
	PredictTimeS float64 `json:"predict_time_budget_s,omitempty"`
	TimePerNFES  float64 `json:"time_per_nfe_s,omitempty"`
	// PredictNFE and PredictLoss are the trained model's prediction.
	PredictNFE  float64 `json:"predict_nfe"`
	PredictLoss float64 `json:"predict_loss"`
	// Met: PredictNFE <= (1+Tolerance)*NFE. FitLost: the prediction's loss
	// is above the loss guard's bound. AtUpperBound: the coefficient ended
	// at its upper bound.
	Met          bool `json:"met"`
	FitLost      bool `json:"fit_lost"`
	AtUpperBound bool `json:"at_upper_bound"`
	// LossGuarded: the loss guard held the coefficient back at the end.
	LossGuarded bool `json:"loss_guarded"`
	// BestLoss is the smallest smoothed training loss of the run.
	BestLoss float64 `json:"best_loss"`
	// ClosestNFE is the smallest smoothed training NFE of the run, reached
	// after ClosestIteration iterations with smoothed loss ClosestLoss.
	ClosestNFE       float64 `json:"closest_nfe"`
	ClosestIteration int     `json:"closest_iteration"`
	ClosestLoss      float64 `json:"closest_loss"`
	// CoefStart and CoefEnd are the coefficient of the first and the last
	// iteration; Coefficients the coefficient after each iteration of
	// CoefIterations.
	CoefStart      float64   `json:"coef_start"`
	CoefEnd        float64   `json:"coef_end"`
	CoefIterations []int     `json:"coef_iterations"`
	Coefficients   []float64 `json:"coefficients"`
	// Verdict states the outcome in one sentence.
	Verdict string `json:"verdict"`
}
