"""Classic networks: perceptron, logistic regression, multilayer perceptron and LeNet-5."""
from __future__ import annotations

from studio.core.builder import GraphBuilder
from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, describe, training


@template("mlp")
def mlp() -> Document:
    doc = Document(
        variables={"in_channels": 1, "input_size": 8, "hidden1": 128, "hidden2": 64,
                   "num_classes": 10},
        presets={"small": {"input_size": 8, "hidden1": 128, "hidden2": 64},
                 "paper": {"input_size": 28, "hidden1": 300, "hidden2": 100}},
        meta={"title": "Multilayer perceptron",
              "summary": "two hidden ReLU layers on flattened images",
              "description": "The fully connected network of the course's first part: "
                             "flatten, two hidden layers, a linear classifier. The paper preset "
                             "is LeCun et al. 1998's 784-300-100-10 MNIST network.",
              "source": "Rumelhart, Hinton & Williams 1986; LeCun et al. 1998",
              "course": "feed-forward networks, backpropagation"},
        # the dataset follows the Input's variables, so an image folder or MNIST files of
        # another size or colour are resized/converted to what the network takes
        training=training("classification", "digits", size="$input_size",
                          channels="$in_channels"))
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=["$in_channels", "$input_size", "$input_size"], field="image")
    y = b.add("io.Target", shape=[], dtype="int64", field="label", name="label", id="label")
    h = b.add("reshape.Flatten", x)
    h = b.add("activation.ReLU", b.add("linear.Linear", h, out_features="$hidden1"))
    h = b.add("activation.ReLU", b.add("linear.Linear", h, out_features="$hidden2"))
    logits = b.add("linear.Linear", h, out_features="$num_classes")
    b.add("io.Output", logits, name="logits")
    b.add("loss.CrossEntropy", logits, y)
    return doc


@template("lenet5")
def lenet5() -> Document:
    doc = Document(
        variables={"in_channels": 1, "input_size": 32, "c1_padding": 0, "num_classes": 10},
        presets={"small": {"input_size": 32, "c1_padding": 0},
                 "paper": {"input_size": 32, "c1_padding": 0},
                 "mnist28": {"input_size": 28, "c1_padding": 2}},
        meta={"title": "LeNet-5",
              "summary": "LeCun 1998: two tanh convolutions with average pooling, three "
                         "fully connected layers",
              "description": "The convolutional network of LeCun et al. 1998 on 1x32x32 "
                             "images: C1 6@5x5, S2 average pooling, C3 16@5x5 (full "
                             "connection), S4, C5 120@5x5, F6 84, 10 outputs; tanh throughout. "
                             "61,706 parameters.",
              "source": "LeCun, Bottou, Bengio & Haffner 1998",
              "course": "convolutional networks"},
        # Tanh + average pooling learns more slowly than ReLU + max pooling on 1,258 training
        # digits: small shifts and rotations (LeCun's "distortions") lift it past 97 %.
        training={**training("classification", "digits", epochs=15, size="$input_size",
                             channels="$in_channels"),
                  "augment": [{"name": "RandomAffine", "degrees": 10,
                               "translate": [0.1, 0.1]}]})
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=["$in_channels", "$input_size", "$input_size"], field="image")
    y = b.add("io.Target", shape=[], dtype="int64", field="label", name="label", id="label")
    h = b.add("conv.Conv2d", x, id="c1", out_channels=6, kernel_size=5, padding="$c1_padding")
    h = b.add("activation.Tanh", h)
    h = b.add("pooling.AvgPool2d", h, id="s2", kernel_size=2, stride=2)
    h = b.add("activation.Tanh", b.add("conv.Conv2d", h, id="c3", out_channels=16, kernel_size=5))
    h = b.add("pooling.AvgPool2d", h, id="s4", kernel_size=2, stride=2)
    h = b.add("activation.Tanh", b.add("conv.Conv2d", h, id="c5", out_channels=120, kernel_size=5))
    h = b.add("reshape.Flatten", h)
    h = b.add("activation.Tanh", b.add("linear.Linear", h, id="f6", out_features=84))
    logits = b.add("linear.Linear", h, id="output", out_features="$num_classes")
    b.add("io.Output", logits, name="logits", id="logits")
    b.add("loss.CrossEntropy", logits, y)
    return doc


@template("perceptron")
def perceptron() -> Document:
    doc = Document(
        variables={"features": 2},
        presets={"small": {"features": 2}},
        meta=describe(
            "Perceptron", "Rosenblatt 1958: one linear unit with a step activation",
            "A single linear unit whose output is thresholded by a Heaviside step, trained on "
            "linearly separable 2-D points. The step's straight-through gradient with a squared "
            "error makes each update the perceptron rule w += lr (y - y_hat) x, which converges "
            "whenever the classes are linearly separable (and never on XOR, Minsky & Papert 1969).",
            "Rosenblatt 1958; Minsky & Papert 1969", "single-layer perceptron"),
        training=training("classification", "toy2d", optimizer="sgd", lr=0.1,
                          schedule="constant", kind="linear"))
    b = Net(doc)
    x = b.input(["$features"], field="point")
    y = b.target([1], field="label", dtype="float32")
    score = b.add("linear.Linear", x, out_features=1)
    out = b.add("activation.Step", score)
    b.output(out, "prediction")
    b.add("loss.MSE", out, y)
    return doc


@template("logistic-regression")
def logistic_regression() -> Document:
    doc = Document(
        variables={"features": 2},
        presets={"small": {"features": 2}},
        meta=describe(
            "Logistic regression", "one linear unit and a sigmoid, trained by cross-entropy",
            "The probabilistic cousin of the perceptron: p(y=1|x) = sigmoid(w.x + b), trained "
            "by gradient descent on the binary cross-entropy (the sigmoid is folded into the "
            "loss for numerical stability). Its decision boundary is a line.",
            "Cox 1958; Berkson 1944", "single-layer perceptron, loss functions"),
        training=training("classification", "toy2d", optimizer="sgd", lr=0.5,
                          schedule="constant", kind="linear"))
    b = Net(doc)
    x = b.input(["$features"], field="point")
    y = b.target([1], field="label", dtype="float32")
    logit = b.add("linear.Linear", x, out_features=1)
    b.output(b.add("activation.Sigmoid", logit), "probability")
    b.add("loss.BCEWithLogits", logit, y)
    return doc
