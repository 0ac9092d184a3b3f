"""The graded questions: (id, points, hint, prerequisites). Written by `autograder release`."""

ASSIGNMENT = 'nn_from_scratch'

QUESTIONS = (
    ('foundations.deriv', 2.0, 'evaluate func a step `diff` above and a step below input_; the slope is the rise over 2 * diff.', ()),
    ('foundations.chain_deriv_2', 2.0, "evaluate f2's slope at f1(x), not at x; multiply it by f1's slope at x (use deriv for both).", ('foundations.deriv',)),
    ('foundations.chain_deriv_3', 2.0, 'compute the forward values f1(x) and f2(f1(x)) first; each slope is taken at its own input.', ('foundations.deriv',)),
    ('foundations.multiple_inputs_add_backward', 2.0, 'the sum passes its incoming slope unchanged to each of its inputs.', ('foundations.deriv',)),
    ('foundations.matrix_function_backward_1', 2.0, "run the forward pass to get N, take sigma's slope at N with deriv, then bring it back through the product with W.", ('foundations.deriv',)),
    ('foundations.matrix_function_backward_sum_1', 2.0, "dL/dS is a matrix of ones shaped like S; multiply it elementwise by sigma's slope at N, then by W transposed.", ('foundations.deriv',)),
    ('foundations.matrix_function_backward_sum_2', 2.0, 'the same dL/dN as for dL/dX; this time X transposed multiplies it from the left.', ('foundations.deriv',)),
    ('linear_regression.loss_gradients', 4.0, "start from dL/dP = -2 (y - P); W's gradient needs X transposed on the left, B's sums over rows (keepdims=True).", ()),
    ('linear_regression.train', 4.0, "keep the batch size in its own variable: a short final batch must not change it for the next pass. X[perm] makes a new array, so shuffling never touches the caller's X and y.", ('linear_regression.loss_gradients',)),
    ('neural_network.loss_gradients', 4.0, "go backwards from dL/dP = -2 (y - P); each bias gradient sums over the rows only (axis=0, keepdims=True), so B1's gradient keeps one value per hidden unit.", ()),
    ('neural_network.train', 4.0, 'the same loop as linear_regression.train; size the weights from the X you are given.', ('neural_network.loss_gradients',)),
)
