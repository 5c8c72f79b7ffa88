"""Which words drove a sentiment prediction: integrated gradients on the Embedding put the
largest share on the words that carry the sentiment, with the sign of their effect."""
import numpy as np
import pytest
import torch

from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.inspect import lab_tools
from studio.inspect.errors import InspectError
from studio.inspect.word_attribution import strip_picture, tokenize
from studio.train.engine import train


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("sentiment") / "run"
    doc = apply_preset(open_document("sentiment")[0])
    try:
        train(doc, {"device": "cpu", "epochs": 2}, out=str(out))
        yield doc, str(out)
    finally:
        torch.set_num_threads(threads)


def _explain(trained, text):
    doc, run = trained
    result = lab_tools.word_attribution(lab_tools.LabInput(doc, "model", run), text=text)
    return result, result.lines[0].removeprefix("strongest: ").split(", ")


@pytest.mark.parametrize("text, words, predicted", [
    ("the film was very good", {"good"}, "positive"),
    ("the film was not good", {"not", "good"}, "negative"),
    ("the plot is very dull", {"dull"}, "negative")])
def test_the_sentiment_words_weigh_most(trained, text, words, predicted):
    result, strongest = _explain(trained, text)
    assert result.summary.startswith(f"predicted {int(predicted == 'positive')} {predicted} (")
    word, score = strongest[0].split(" ")
    assert word in words, strongest
    if len(words) == 1:  # one sentiment word: it pushed towards the prediction
        assert score.startswith("(+"), strongest
    picture = result.pictures[0].rgb
    assert picture.dtype == np.uint8 and picture.shape[2] == 3 and picture.shape[1] > 150


def test_unknown_words_and_long_sentences_are_one_line_errors(trained):
    doc, run = trained
    with pytest.raises(InspectError, match="not in the vocabulary: superb"):
        lab_tools.word_attribution(lab_tools.LabInput(doc, "model", run), text="superb film")
    with pytest.raises(InspectError, match="reads 4 words"):
        tokenize("the film was not good", ["<pad>", "the", "film", "was", "not", "good"], 4)


def test_an_empty_sentence_explains_the_dataset_sample(trained):
    doc, run = trained
    result = lab_tools.word_attribution(lab_tools.LabInput(doc, "model", run, sample=3))
    assert "<pad>" not in result.lines[0] and result.pictures


def test_the_strip_shows_sign_as_colour():
    rgb = strip_picture(["not", "good"], np.array([-1.0, 0.5]))
    left, right = rgb[20, 20].astype(int), rgb[20, rgb.shape[1] - 30].astype(int)
    assert left[0] > left[1]  # red: against the class
    assert right[1] > right[0]  # green: towards it


def test_a_two_input_network_explains_its_question_and_scores_add_up():
    """VQA's picture stays fixed while the question's words are explained; the scores sum to
    the logit's change from the all-pad question (integrated gradients' completeness)."""
    from studio.inspect.load import open_network
    from studio.inspect.network import logits_of
    from studio.inspect.word_attribution import sample_arguments, word_attribution
    doc = apply_preset(open_document("vqa")[0])
    compiled = open_network(doc, "model")
    picture, question = sample_arguments(compiled, doc, 2)
    torch.manual_seed(0)
    scores, k = word_attribution(compiled.module, [picture, question], position=1, steps=64)
    with torch.no_grad():
        change = (logits_of(compiled.module(picture, question))[0, k]
                  - logits_of(compiled.module(picture, torch.zeros_like(question)))[0, k])
    assert scores.shape == (question.shape[1],)
    assert abs(float(scores.sum()) - float(change)) <= 0.02 * abs(float(change)) + 1e-4
