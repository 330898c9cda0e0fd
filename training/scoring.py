"""Scores of the cabin: the pre-score suggestion from the rubric's hints, and the trainer's score.

The score is Zendesk QA's: a category's score is `(selected - scale min) / (scale max - scale min)
x 100`; the attempt's score is `sum(category score x weight) / sum(weights)` over the categories
not marked N/A; any critical category below 50 makes the attempt 0. Passed when the score reaches
the scenario's pass mark. Pure functions: no database, no clock.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def category_score(selected: int, low: int, high: int) -> float:
    return (selected - low) / (high - low) * 100


def attempt_score(rated) -> Decimal | None:
    """`rated`: `(selected or None for N/A, (low, high), weight, critical)` per category. None when
    every category is N/A (or weighs nothing)."""
    total = weights = 0.0
    critical_failed = False
    for selected, (low, high), weight, critical in rated:
        if selected is None:
            continue
        score = category_score(selected, low, high)
        if critical and score < 50:
            critical_failed = True
        total += score * weight
        weights += weight
    if not weights:
        return None
    if critical_failed:
        return Decimal("0.00")
    return Decimal(str(total / weights)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _contains(text: str, phrase: str) -> bool:
    return phrase.strip().lower() in text.lower() if phrase.strip() else False


def turn_checks(turns: list[dict], answers: list[dict]) -> list[dict]:
    """Per turn: the points the answer covers, the forbidden phrases it uses, and whether it came
    within the turn's time limit."""
    checks = []
    for index, turn in enumerate(turns):
        answer = answers[index] if index < len(answers) else {}
        text = answer.get("text") or ""
        points = [p for p in turn.get("points") or [] if p.strip()]
        forbidden = [p for p in turn.get("forbidden") or [] if p.strip()]
        limit = turn.get("time_limit") or 0
        seconds = answer.get("seconds")
        checks.append({
            "covered": [p for p in points if _contains(text, p)],
            "missed": [p for p in points if not _contains(text, p)],
            "forbidden_used": [p for p in forbidden if _contains(text, p)],
            "in_time": bool(answer.get("answered_at")) and (not limit or (seconds or 0) <= limit),
        })
    return checks


def prescore(turns: list[dict], answers: list[dict], categories) -> dict:
    """The suggestion per category: the share of the signals met, mapped onto the category's scale.

    Signals: the category's hint words found in the answers (if it has hints), the turns' points
    covered, no forbidden phrase used, each turn answered within its time limit. A suggestion only:
    the trainer's grade decides. `categories`: objects with `pk`, `hints`, `bounds`."""
    checks = turn_checks(turns, answers)
    all_text = " ".join(answer.get("text") or "" for answer in answers)
    points = sum(len(c["covered"]) + len(c["missed"]) for c in checks)
    covered = sum(len(c["covered"]) for c in checks)
    turn_count = max(1, len(checks))
    clean = sum(1 for c in checks if not c["forbidden_used"]) / turn_count
    in_time = sum(1 for c in checks if c["in_time"]) / turn_count
    result = {"turns": checks, "categories": {}}
    for category in categories:
        hints = [h for h in category.hints or [] if str(h).strip()]
        signals = [clean, in_time]
        if points:
            signals.append(covered / points)
        if hints:
            signals.append(sum(1 for h in hints if _contains(all_text, str(h))) / len(hints))
        ratio = sum(signals) / len(signals)
        low, high = category.bounds
        result["categories"][str(category.pk)] = {
            "suggested": low + round(ratio * (high - low)),
            "hints_found": [h for h in hints if _contains(all_text, str(h))],
        }
    return result
