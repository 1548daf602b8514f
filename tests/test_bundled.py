"""One function finds the bundled templates, styles and fonts (report_templates.bundled);
no other module computes their location."""

from __future__ import annotations

from pathlib import Path

from report_templates import bundled

ROOT = Path(__file__).resolve().parents[1]


def test_bundled_finds_the_package_data():
    assert (bundled("default") / "report.html").is_file()
    assert (bundled("fonts") / "fonts.css").is_file()


def test_no_other_module_locates_bundled_files():
    offenders = []
    for path in [*ROOT.glob("core/**/*.py"), *ROOT.glob("plugins/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        if 'files("report_templates")' in text or '/ "report_templates"' in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
