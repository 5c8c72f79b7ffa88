"""The code panel shows what ``netstudio code`` writes: same class name, same code."""
from studio.cli import main
from studio.core.serialize import save
from studio.core.templates import open_document


def test_code_panel_and_netstudio_code_agree_on_a_named_document(make_window, tmp_path, capsys):
    doc, _, _ = open_document("perceptron")
    doc.meta["name"] = "My Net"
    path = tmp_path / "my-net.nnet.json"
    save(doc, path)
    window = make_window(str(path))
    shown = window.code.source()
    assert main(["code", str(path)]) == 0
    written = capsys.readouterr().out
    assert "\nclass MyNet(nn.Module):" in shown
    assert shown == written


def test_code_panel_compiles_with_the_sessions_shape_cache(window, monkeypatch):
    from studio.compile import fx
    seen = []
    real = fx.compile_network
    monkeypatch.setattr(fx, "compile_network",
                        lambda *a, **k: seen.append(k.get("inference")) or real(*a, **k))
    assert "class " in window.code.source()
    assert len(seen) == 1 and seen[0] is window.session.inference


def test_a_second_network_is_named_as_netstudio_code_and_bundles_name_it(make_window, capsys):
    window = make_window("dcgan")
    network = window.session.breadcrumbs()[0]
    assert network != "model"  # a GAN: the class carries the network's name
    shown = window.code.source()
    assert main(["code", "dcgan", "--network", network]) == 0
    written = capsys.readouterr().out
    cls = f"Dcgan{network.capitalize()}"
    assert f"\nclass {cls}(nn.Module):" in shown and f"\nclass {cls}(nn.Module):" in written
