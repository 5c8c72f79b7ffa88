"""One-layer models of the course's first part: softmax (multinomial logistic) regression on
digits, and square-loss regression, least squares and then deep, on Friedman's benchmark."""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, describe, presets, training


@template("softmax-regression")
def softmax_regression() -> Document:
    variables = {"in_channels": 1, "input_size": 8, "num_classes": 10}
    doc = Document(
        variables=variables,
        presets=presets(variables, paper={"input_size": 28}),
        meta=describe(
            "Softmax regression", "multinomial logistic regression: one linear layer and a "
            "softmax over the 10 digits",
            "The course's one-layer classifier: class scores a_c = w_c.x + b_c of the flattened "
            "image, probabilities softmax(a), trained by the cross-entropy -ln p(true class) "
            "(the softmax is folded into the loss for numerical stability; its gradient is "
            "p - y). The multi-class version of the binary logistic-regression template. The "
            "paper preset reads 28x28 digits, the MNIST size (7,850 parameters).",
            "Cox 1966; Bridle 1990 (softmax); LeCun et al. 1998 (MNIST linear classifier)",
            "one layer classifier, softmax, cross-entropy"),
        training=training("classification", "digits", lr=0.02, epochs=10, size="$input_size",
                          channels="$in_channels"))
    b = Net(doc)
    x = b.input(["$in_channels", "$input_size", "$input_size"], field="image")
    y = b.target([], field="label")
    scores = b.add("linear.Linear", b.add("reshape.Flatten", x), id="scores",
                   out_features="$num_classes")
    b.output(b.add("activation.Softmax", scores, dim=1), "probabilities")
    b.add("loss.CrossEntropy", scores, y)
    return doc


def _friedman(title: str, summary: str, description: str, source: str, **kw) -> Net:
    """The Input/Target pair and document of a regressor on ``friedman1``."""
    doc = Document(variables={"features": 10}, presets={"small": {"features": 10}},
                   meta=describe(title, summary, description, source,
                                 "regression, square loss, from least squares to deep "
                                 "regression"),
                   training=training("regression", "friedman1", features="$features", **kw))
    return Net(doc)


@template("linear-regression")
def linear_regression() -> Document:
    b = _friedman(
        "Linear regression", "least squares: one linear unit trained on the square loss",
        "y_hat = w.x + b fitted by gradient descent on the square loss 1/2 ||y_hat - y||^2 "
        "(mean squared error) over Friedman's benchmark. A line cannot follow its sine and "
        "square terms: the test error (in units of the target's variance, so 1 - R^2) stays "
        "near 0.25, against the noise floor of 0.04 that the mlp-regression template "
        "approaches.",
        "Legendre 1805, Gauss 1809 (least squares); Friedman 1991 (data)",
        lr=0.05, epochs=20)
    x = b.input(["$features"], field="features")
    y = b.target([1], field="target", dtype="float32")
    pred = b.add("linear.Linear", x, out_features=1)
    b.output(pred, "prediction")
    b.add("loss.MSE", pred, y)
    return b.doc


@template("mlp-regression")
def mlp_regression() -> Document:
    b = _friedman(
        "Deep regression (MLP)", "two hidden tanh layers trained on the square loss",
        "The same square loss as linear regression, minimized by a multilayer perceptron: "
        "features -> 64 tanh -> 64 tanh -> 1 on Friedman's benchmark. The hidden layers "
        "model the sine and square terms a line misses, bringing the test mean squared "
        "error (in units of the target's variance) close to the noise floor (0.04).",
        "Rumelhart, Hinton & Williams 1986; Friedman 1991 (data)",
        lr=0.01, epochs=40, batch_size=16)
    doc = b.doc
    doc.variables["hidden"] = 64
    doc.presets["small"]["hidden"] = 64
    x = b.input(["$features"], field="features")
    y = b.target([1], field="target", dtype="float32")
    h = b.chain(x, ("linear.Linear", {"out_features": "$hidden"}), "activation.Tanh",
                ("linear.Linear", {"out_features": "$hidden"}), "activation.Tanh")
    pred = b.add("linear.Linear", h, out_features=1)
    b.output(pred, "prediction")
    b.add("loss.MSE", pred, y)
    return doc
