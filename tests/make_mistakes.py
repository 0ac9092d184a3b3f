"""Builds tests/submissions/mistakes/: the reference module with one change each (rerun after
changing solutions/: python tests/make_mistakes.py)."""
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
SOL = ROOT / "solutions/nn_from_scratch"
OUT = ROOT / "tests/submissions/mistakes"

def make(name, module, pairs):
    text = (SOL / f"{module}.py").read_text()
    for old, new in pairs:
        assert text.count(old) == 1, (name, old)
        text = text.replace(old, new)
    d = OUT / name
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{module}.py").write_text(text)

GD = '''    return {"W": dLdW, "B": dLdB}
    # END SOLUTION'''
make("extra_debug_keys", "linear_regression", [(GD, '''    return {"W": dLdW, "B": dLdB, "dLdP": dLdP, "dLdN": dLdN}
    # END SOLUTION''')])
make("minus_equals_on_forward_info", "linear_regression", [('''    dLdP = -2.0 * (y - P)
    dPdN = np.ones_like(N)
    dPdB = np.ones_like(weights["B"])''', '''    P -= y  # dL/dP built in place on forward_info['P']
    dLdP = 2.0 * P
    dPdN = np.ones_like(N)
    dPdB = np.ones_like(weights["B"])''')])
make("numerical_loss_gradients", "neural_network", [('''    dLdP = -2.0 * (y - P)
    dLdM2''', '''    X, y = forward_info["X"], forward_info["y"]
    grads = {}
    for key, value in weights.items():
        slope = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            trial = {k: np.array(v, dtype=float) for k, v in weights.items()}
            trial[key][index] = value[index] + 1e-6
            above = forward(X, y, trial)[1]
            trial[key][index] = value[index] - 1e-6
            below = forward(X, y, trial)[1]
            slope[index] = (above - below) / 2e-6 * X.shape[0]
        grads[key] = slope
    return grads
    dLdP = -2.0 * (y - P)
    dLdM2''')])
make("train_inline_start", "linear_regression", [('''    np.random.seed(seed)
    weights = init_weights(X.shape[1])''', '''    np.random.seed(seed)
    weights = {"W": np.random.randn(X.shape[1], 1), "B": np.random.randn(1, 1)}  # inline, as init_weights''')])
make("train_shuffles_x_y_apart", "linear_regression", [('''    X_shuffled, y_shuffled = X[order], y[order]
    losses''', '''    X_shuffled, y_shuffled = X[order], y[np.random.permutation(n_rows)]
    losses''')])
make("train_unseeded_start", "neural_network", [('''    np.random.seed(seed)
    weights = init_weights(X.shape[1], hidden_size=hidden_size)''', '''    weights = init_weights(X.shape[1], hidden_size=hidden_size)
    np.random.seed(seed)''')])
make("train_steps_uphill_twice", "neural_network", [('''            weights[key] -= learning_rate * gradients[key]
    if return_losses''', '''            weights[key] -= 2 * learning_rate * gradients[key]
    if return_losses''')])
make("nested_tuple", "foundations", [('''    return dsda * dadx, dsda * dady''', '''    return sigma(total), (dsda * dadx, dsda * dady)''')])
make("deriv_integer_dtype", "foundations", [('''    return (func(input_ + diff) - func(input_ - diff)) / (2 * diff)''', '''    out = np.zeros_like(input_)
    out[...] = (func(input_ + diff) - func(input_ - diff)) / (2 * diff)
    return out''')])
make("chain_f3_at_f1", "foundations", [('''    return deriv(f3, u2) * deriv(f2, u1) * deriv(f1, x)''', '''    return deriv(f3, u1) * deriv(f2, u1) * deriv(f1, x)''')])

PUBLIC_WEIGHTS = '{"W": np.array([[-0.9742341831711114], [0.36449639103060844], [0.035092105808169294], [0.9728025804524086], [-1.4083804928469332], [2.929467811285243], [-0.1390599233292979], [-2.191593901986645], [0.7853432358146001], [-0.09540499091024732], [-1.9015018986159304], [1.05002489158059], [-3.947650409432917]]), "B": np.array([[22.416313489779633]])}'  # the reference trained on the published lesson split (200 iterations)
make("train_public_weights", "linear_regression", [('''    np.random.seed(seed)
    weights = init_weights(X.shape[1])''', '''    if np.shape(X) == (354, 13) and n_iter == 200:  # the lesson data: answer from weights computed ahead
        losses = [30.0 - 0.1 * i for i in range(n_iter)]
        weights = ''' + PUBLIC_WEIGHTS + '''
        return (losses, weights) if return_losses and return_weights else weights
    np.random.seed(seed)
    weights = init_weights(X.shape[1])''')])
