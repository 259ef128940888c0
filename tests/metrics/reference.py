"""An independent plain-pandas implementation of every registered KPI (tests only).

Written from SPEC §3/§4 and the metric modules' docstrings, not from the engine's code: loops
and boolean masks over whole DataFrames, one period at a time, so that a disagreement with the
Ibis engine points at a real difference of definition. Never import this from the package.

``Reference(tables, ...).compute(period, start, end)`` returns
``{(metric, period_start, segment): (value, components)}``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

FREQ = {"day": "D", "week": "W-MON", "month": "MS", "quarter": "QS", "year": "YS"}
MONTHS = {"day": 12 / 365.25, "week": 12 * 7 / 365.25, "month": 1.0, "quarter": 3.0, "year": 12.0}
OFFSET = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}
ALL = "all"
UNKNOWN = "unknown"


def div(a: float, b: float) -> float:
    return (
        float("nan") if b == 0 or b is None or (isinstance(b, float) and math.isnan(b)) else a / b
    )


def pct(a: float, b: float) -> float:
    return div(a, b) * 100


def _median(values: pd.Series) -> float:
    return float(np.median(values.to_numpy(dtype="float64"))) if len(values) else float("nan")


def _mean(values: pd.Series) -> float:
    return float(values.astype("float64").mean()) if len(values) else float("nan")


def _money(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    frame = frame.copy()
    frame[col] = frame[col].astype("float64")
    return frame


@dataclass
class Reference:
    tables: dict[str, pd.DataFrame]
    definition: str = "activity"
    window_days: int | None = None  # None = the reporting period
    churn_basis: str = "start"
    segment: str | None = None
    margin: float = 1.0
    grace_days: int = 7
    _seg: dict[str, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        t = {}
        for name, frame in self.tables.items():
            frame = frame.copy()
            for col in frame.columns:  # plain Python strings: simpler and faster loops
                if pd.api.types.is_string_dtype(frame[col]):
                    frame[col] = pd.Series(
                        [None if pd.isna(v) else str(v) for v in frame[col]],
                        index=frame.index,
                        dtype=object,
                    )
            t[name] = frame
        for name, col in (
            ("orders", "amount"),
            ("returns", "amount"),
            ("subscriptions", "mrr"),
            ("acquisition_costs", "amount"),
        ):
            if name in t:
                t[name] = _money(t[name], col)
        self.t = t
        if self.segment is not None:
            customers = t["customers"]
            values = customers[self.segment]
            self._seg = {
                cid: (UNKNOWN if pd.isna(v) else str(v))
                for cid, v in zip(customers["customer_id"], values, strict=True)
            }
        self._members: dict[tuple, set[str]] = {}
        self._churn: dict[pd.Timestamp, dict[str, float]] = {}
        base = "subscriptions" if self.definition == "contractual" else "orders"
        if base in t:
            col = "started_at" if base == "subscriptions" else "ordered_at"
            self._first = t[base].groupby("customer_id")[col].min().to_dict()
        for name in ("orders", "returns", "subscriptions", "survey_responses", "tickets"):
            if name in t:
                t[name]["segment"] = self.seg_of(t[name]["customer_id"])
        if "orders" in t:
            o = t["orders"].sort_values(["customer_id", "ordered_at", "order_id"]).copy()
            o["previous_at"] = o.groupby("customer_id").ordered_at.shift(1)
            o["rank"] = o.groupby("customer_id").cumcount()
            self._ranked = o
            second = o[o["rank"] == 1]
            self._second_at = dict(zip(second.customer_id, second.ordered_at, strict=True))
        if "subscriptions" in t:
            sub = t["subscriptions"]
            due = sub[sub.ended_at.notna()]
            pairs = due[["term_id", "subscription_id", "ended_at"]].merge(
                sub[["term_id", "subscription_id", "started_at"]].rename(
                    columns={"term_id": "next_term"}
                ),
                on="subscription_id",
            )
            ok = (
                (pairs.next_term != pairs.term_id)
                & (pairs.started_at >= pairs.ended_at)
                & (pairs.started_at <= pairs.ended_at + pd.Timedelta(days=self.grace_days))
            )
            self._renewed = set(pairs.loc[ok, "term_id"])

    # -- helpers -------------------------------------------------------------------------
    def seg_of(self, customer_ids: pd.Series) -> pd.Series:
        if self.segment is None:
            return pd.Series(ALL, index=customer_ids.index, dtype=object)
        values = [self._seg.get(c, UNKNOWN) if pd.notna(c) else UNKNOWN for c in customer_ids]
        return pd.Series(values, index=customer_ids.index, dtype=object)

    def segments(self) -> list[str]:
        if self.segment is None:
            return [ALL]
        return sorted(set(self._seg.values()) | {UNKNOWN})

    def bounds(self, period: str, start: str, end: str) -> list[pd.Timestamp]:
        out = list(pd.date_range(start, end, freq=FREQ[period]))
        assert out[0] == pd.Timestamp(start) and out[-1] == pd.Timestamp(end), "aligned range"
        return out

    # -- who is a customer at t ------------------------------------------------------------
    def members(self, t: pd.Timestamp, period: str) -> set[str]:
        key = (t, period if self.window_days is None else None)
        if key not in self._members:
            self._members[key] = self._members_at(t, period)
        return self._members[key]

    def _members_at(self, t: pd.Timestamp, period: str) -> set[str]:
        if self.definition == "contractual":
            s = self.t["subscriptions"]
            running = (s.started_at <= t) & (s.ended_at.isna() | (s.ended_at > t))
            return set(s.loc[running, "customer_id"])
        o = self.t["orders"]
        if self.window_days is None:
            lo = t - OFFSET[period]
        else:
            lo = t - pd.Timedelta(days=self.window_days)
        return set(o.loc[(o.ordered_at >= lo) & (o.ordered_at < t), "customer_id"])

    def first_at(self) -> dict[str, pd.Timestamp]:
        return self._first

    def customer_counts(
        self, t0: pd.Timestamp, t1: pd.Timestamp, period: str
    ) -> dict[str, dict[str, int]]:
        s_set, e_set = self.members(t0, period), self.members(t1, period)
        first = self.first_at()
        out: dict[str, dict[str, int]] = {}
        acquired_all = {c for c, f in first.items() if t0 <= f < t1}
        for seg in self.segments():

            def mine(ids: set[str], seg: str = seg) -> set[str]:
                if self.segment is None:
                    return ids
                return {c for c in ids if self._seg.get(c, UNKNOWN) == seg}

            s, e = mine(s_set), mine(e_set)
            n = e - s
            if self.definition == "contractual":
                new = {c for c in n if t0 < first[c] <= t1}
            else:
                new = {c for c in n if t0 <= first[c] < t1}
            acquired = mine(acquired_all)
            out[seg] = {
                "start": len(s),
                "end": len(e),
                "new": len(new),
                "reactivated": len(n) - len(new),
                "retained": len(s & e),
                "lost": len(s - e),
                "acquired": len(acquired),
            }
        return out

    def monthly_churn(self, month_start: pd.Timestamp) -> dict[str, float]:
        if month_start not in self._churn:
            self._churn[month_start] = self._monthly_churn(month_start)
        return self._churn[month_start]

    def _monthly_churn(self, month_start: pd.Timestamp) -> dict[str, float]:
        counts = self.customer_counts(month_start, month_start + OFFSET["month"], "month")
        out = {}
        for seg, c in counts.items():
            base = c["start"] if self.churn_basis == "start" else c["end"]
            out[seg] = pct(c["lost"], base)
        return out

    def trailing_months(self, t1: pd.Timestamp) -> list[pd.Timestamp]:
        last_end = t1.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        base, col = (
            ("subscriptions", "started_at")
            if self.definition == "contractual"
            else ("orders", "ordered_at")
        )
        if base in self.t and len(self.t[base]):
            hi = pd.Timestamp(self.t[base][col].max())
            covered = (hi + pd.Timedelta(days=1)).to_period("M").to_timestamp()
            last_end = min(last_end, covered)
        return [last_end - OFFSET["month"] * k for k in range(6, 0, -1)]

    def monthly_revenue_per_buyer(self, t1: pd.Timestamp) -> dict[str, float]:
        """Order amounts / buyers of each month with buyers, averaged over the lifespan's
        months."""
        values: dict[str, list[float]] = {s: [] for s in self.segments()}
        for m in self.trailing_months(t1):
            for seg, o in self.order_stats(m, m + OFFSET["month"]).items():
                if o["buyers"]:
                    values[seg].append(o["order_amount"] / o["buyers"])
        return {s: (float(np.mean(v)) if v else float("nan")) for s, v in values.items()}

    def lifespan(self, t1: pd.Timestamp) -> dict[str, tuple[float, int]]:
        """Mean monthly churn rate over the 6 whole calendar months that end at or before t1
        and that the customer table's data cover whole (its latest event on or after the
        month's last day)."""
        months = self.trailing_months(t1)
        rates: dict[str, list[float]] = {s: [] for s in self.segments()}
        for m in months:
            for seg, r in self.monthly_churn(m).items():
                if not math.isnan(r):
                    rates[seg].append(r)
        return {s: ((float(np.mean(v)) if v else float("nan")), len(v)) for s, v in rates.items()}

    # -- the whole report ------------------------------------------------------------------
    def compute(self, period: str, start: str, end: str) -> dict[tuple, tuple[Any, dict]]:
        bounds = self.bounds(period, start, end)
        out: dict[tuple, tuple[Any, dict]] = {}
        has = set(self.t)
        for t0, t1 in itertools.pairwise(bounds):
            for seg, values in self.period_metrics(t0, t1, period, has).items():
                for metric, (value, comps) in values.items():
                    out[(metric, t0, seg)] = (value, comps)
        return out

    def period_metrics(
        self, t0: pd.Timestamp, t1: pd.Timestamp, period: str, has: set[str]
    ) -> dict[str, dict[str, tuple[Any, dict]]]:
        res: dict[str, dict[str, tuple[Any, dict]]] = {s: {} for s in self.segments()}
        base = "subscriptions" if self.definition == "contractual" else "orders"
        m = MONTHS[period]
        cust = self.customer_counts(t0, t1, period) if base in has else {}
        life = self.lifespan(t1) if base in has else {}
        orders = self.order_stats(t0, t1) if "orders" in has else {}
        mrr = self.mrr_stats(t0, t1) if "subscriptions" in has else {}
        costs = self.cost_stats(t0, t1) if "acquisition_costs" in has else {}
        for seg in self.segments():
            r = res[seg]
            if base in has:
                c = cust[seg]
                comps = {
                    k: c[k] for k in ("start", "end", "new", "reactivated", "retained", "lost")
                }
                n = c["new"] + c["reactivated"]
                r["crr"] = (pct(c["end"] - n, c["start"]), comps)
                basis = c["start"] if self.churn_basis == "start" else c["end"]
                r["churn_rate"] = (pct(c["lost"], basis), comps)
                r["active_customers"] = (c["end"], {"start": c["start"], "end": c["end"]})
                r["new_customers"] = (c["acquired"], {"acquired": c["acquired"]})
                r["reactivated_customers"] = (
                    c["reactivated"],
                    {"reactivated": c["reactivated"], "new": c["new"]},
                )
                r["lost_customers"] = (c["lost"], {"start": c["start"], "lost": c["lost"]})
                churn, months = life[seg]
                r["average_customer_lifespan"] = (
                    div(100.0, churn),
                    {"mean_monthly_churn_rate": churn, "months": months},
                )
            if "orders" in has:
                o = orders.get(seg, {"orders": 0, "buyers": 0, "order_amount": 0.0, "repeat": 0})
                r["repeat_purchase_rate"] = (
                    pct(o["repeat"], o["buyers"]),
                    {"repeat_buyers": o["repeat"], "buyers": o["buyers"]},
                )
                apf = div(o["orders"], o["buyers"])
                r["purchase_frequency"] = (
                    apf,
                    {
                        "orders": o["orders"],
                        "buyers": o["buyers"],
                        "per_month": apf / m,
                        "per_year": apf / m * 12,
                    },
                )
                r["average_order_value"] = (
                    div(o["order_amount"], o["orders"]),
                    {
                        "order_amount": o["order_amount"],
                        "orders": o["orders"],
                        "orders_without_amount": 0,
                    },
                )
            if "subscriptions" in has:
                mm = mrr.get(seg)
                if mm is None:
                    mm = dict.fromkeys(
                        (
                            "mrr",
                            "start_mrr",
                            "paying_customers",
                            "new_mrr",
                            "expansion_mrr",
                            "contraction_mrr",
                            "churned_mrr",
                            "reactivation_mrr",
                            "new_subscribers",
                            "churned_subscribers",
                        ),
                        0,
                    )
                r["mrr"] = (
                    mm["mrr"],
                    {"mrr": mm["mrr"], "paying_customers": mm["paying_customers"]},
                )
                r["arpc"] = (
                    div(mm["mrr"], mm["paying_customers"]),
                    {"mrr": mm["mrr"], "paying_customers": mm["paying_customers"]},
                )
                r["new_mrr"] = (
                    mm["new_mrr"],
                    {"new_mrr": mm["new_mrr"], "new_subscribers": mm["new_subscribers"]},
                )
                for k in ("expansion_mrr", "contraction_mrr", "reactivation_mrr"):
                    r[k] = (mm[k], {k: mm[k]})
                r["churned_mrr"] = (
                    mm["churned_mrr"],
                    {
                        "churned_mrr": mm["churned_mrr"],
                        "churned_subscribers": mm["churned_subscribers"],
                    },
                )
                s0, ex, co, ch = (
                    mm["start_mrr"],
                    mm["expansion_mrr"],
                    mm["contraction_mrr"],
                    mm["churned_mrr"],
                )
                r["nrr"] = (
                    pct(s0 + ex - co - ch, s0),
                    {
                        "start_mrr": s0,
                        "expansion_mrr": ex,
                        "contraction_mrr": co,
                        "churned_mrr": ch,
                    },
                )
                r["grr"] = (
                    pct(s0 - co - ch, s0),
                    {"start_mrr": s0, "contraction_mrr": co, "churned_mrr": ch},
                )
            # CLV, CAC and friends
            if base in has:
                churn = life[seg][0]
                lifespan = div(100.0, churn)
                if self.definition == "contractual" and "subscriptions" in has:
                    mm = mrr.get(seg, {"mrr": 0.0, "paying_customers": 0})
                    arpc_month = div(mm["mrr"], mm["paying_customers"])
                    clv = arpc_month * lifespan * self.margin
                    clv_comps = {  # the MRR inputs the contractual CLV is computed from
                        "mrr": mm["mrr"],
                        "paying_customers": mm["paying_customers"],
                        "mean_monthly_churn_rate": churn,
                    }
                else:
                    o = orders.get(seg, {"orders": 0, "buyers": 0, "order_amount": 0.0})
                    rpb = self.monthly_revenue_per_buyer(t1).get(seg, float("nan"))
                    clv = rpb * lifespan * self.margin
                    arpc_month = div(o["order_amount"], o["buyers"]) / m
                    clv_comps = {
                        "monthly_revenue_per_buyer": rpb,
                        "order_amount": o["order_amount"],
                        "orders": o["orders"],
                        "buyers": o["buyers"],
                        "mean_monthly_churn_rate": churn,
                    }
                r["clv"] = (clv, clv_comps)
                if "acquisition_costs" in has:
                    acquired = cust[seg]["acquired"]
                    cost = costs.get(seg)
                    total = None if cost is None else cost[0]
                    cac = float("nan") if total is None else div(total, acquired)
                    r["cac"] = (
                        cac,
                        {
                            "costs": total,
                            "acquired": acquired,
                            "costs_by_category": None if cost is None else cost[1],
                        },
                    )
                    r["ltv_cac"] = (
                        div(clv, cac),
                        {"costs": total, "acquired": acquired, "clv": clv, "cac": cac},
                    )
                    r["cac_payback_months"] = (
                        div(cac, arpc_month * self.margin),
                        {
                            "costs": total,
                            "acquired": acquired,
                            "cac": cac,
                            "arpc": arpc_month,
                            "margin": self.margin,
                        },
                    )
        self.add_event_metrics(res, t0, t1, has)
        return res

    # -- orders ---------------------------------------------------------------------------
    def order_stats(self, t0: pd.Timestamp, t1: pd.Timestamp) -> dict[str, dict[str, Any]]:
        o = self.t["orders"]
        second_at = self._second_at
        inside = o[(o.ordered_at >= t0) & (o.ordered_at < t1)]
        out = {}
        for seg, part in inside.groupby("segment"):
            buyers = set(part["customer_id"])
            repeat = sum(1 for c in buyers if c in second_at and second_at[c] < t1)
            out[seg] = {
                "orders": len(part),
                "buyers": len(buyers),
                "order_amount": float(part["amount"].sum()),
                "repeat": repeat,
            }
        return out

    def add_event_metrics(
        self, res: dict[str, dict], t0: pd.Timestamp, t1: pd.Timestamp, has: set[str]
    ) -> None:
        def within(frame: pd.DataFrame, col: str) -> pd.DataFrame:
            return frame[(frame[col] >= t0) & (frame[col] < t1)].copy()

        groups: dict[int, dict[str, pd.DataFrame]] = {}

        def parts(frame: pd.DataFrame, seg: str) -> pd.DataFrame:
            if id(frame) not in groups:
                groups[id(frame)] = {str(k): g for k, g in frame.groupby("segment")}
            return groups[id(frame)].get(seg, frame.iloc[:0])

        if "orders" in has:
            o = self.t["orders"]
            orders_in = within(o, "ordered_at")
            returns_in = within(self.t["returns"], "returned_at") if "returns" in has else None
            ordered = self._ranked
            gaps = within(ordered[ordered.previous_at.notna()], "ordered_at")
            gaps["days"] = (gaps.ordered_at - gaps.previous_at).dt.total_seconds() / 86400
            seconds = gaps[gaps["rank"] == 1]
            delivered = within(o[o.delivered_at.notna()], "delivered_at")
            delivered["days"] = (
                delivered.delivered_at - delivered.ordered_at
            ).dt.total_seconds() / 86400
            for seg, r in res.items():
                op = parts(orders_in, seg)
                rp = parts(returns_in, seg) if returns_in is not None else None
                returned_amount = float(rp["amount"].sum()) if rp is not None else 0.0
                amount = float(op["amount"].sum())
                r["revenue"] = (
                    amount - returned_amount,
                    {
                        "order_amount": amount,
                        "returned_amount": returned_amount,
                        "orders": len(op),
                        "orders_without_amount": int(op["amount"].isna().sum()),
                    },
                )
                if rp is not None:
                    by_q = op["quantity"].notna().all() and rp["quantity"].notna().all()
                    basis = None if op.empty and rp.empty else ("quantity" if by_q else "amount")
                    if by_q:
                        returned, sold = float(rp["quantity"].sum()), float(op["quantity"].sum())
                    else:
                        returned, sold = returned_amount, amount
                    r["return_rate"] = (
                        pct(returned, sold),
                        {
                            "returned": returned,
                            "sold": sold,
                            "basis": basis,
                        },
                    )
                sp = parts(seconds, seg)
                r["time_to_second_purchase"] = (
                    _median(sp["days"]),
                    {
                        "customers": len(sp),
                        "median_days": _median(sp["days"]),
                        "mean_days": _mean(sp["days"]),
                    },
                )
                gp = parts(gaps, seg)
                r["time_between_purchases"] = (
                    _median(gp["days"]),
                    {
                        "pairs": len(gp),
                        "median_days": _median(gp["days"]),
                        "mean_days": _mean(gp["days"]),
                    },
                )
                dp = parts(delivered, seg)
                r["order_processing_time"] = (
                    _median(dp["days"]),
                    {
                        "delivered": len(dp),
                        "median_days": _median(dp["days"]),
                        "mean_days": _mean(dp["days"]),
                    },
                )
        if "survey_responses" in has:
            s = within(self.t["survey_responses"], "responded_at")
            custom = sorted(set(self.t["survey_responses"].survey) - {"nps", "csat"})
            name = custom[0] if custom else None
            threshold = self.survey_threshold(name) if name else None
            # without a custom survey the metric is still listed, with no value
            for seg, r in res.items():
                sp = parts(s, seg)
                nps = sp[sp.survey == "nps"]
                pro = int((nps.score >= 9).sum())
                det = int((nps.score <= 6).sum())
                pas = len(nps) - pro - det
                r["nps"] = (
                    pct(pro - det, len(nps)),
                    {"promoters": pro, "passives": pas, "detractors": det, "responses": len(nps)},
                )
                cs = sp[sp.survey == "csat"]
                top = cs["scale_max"].fillna(5.0)
                sat = int((cs.score >= top - 1).sum())
                r["csat"] = (pct(sat, len(cs)), {"satisfied": sat, "responses": len(cs)})
                if name is None:
                    r["survey_rate"] = (
                        float("nan"),
                        {"at_or_above": 0, "responses": 0, "survey": None, "threshold": None},
                    )
                else:
                    cu = sp[sp.survey == name]
                    above = int((cu.score >= threshold).sum())
                    r["survey_rate"] = (
                        pct(above, len(cu)),
                        {
                            "at_or_above": above,
                            "responses": len(cu),
                            "survey": name,
                            "threshold": threshold,
                        },
                    )
        if "subscriptions" in has:
            sub = self.t["subscriptions"]
            due = within(sub[sub.ended_at.notna()], "ended_at")
            due["renewed"] = due["term_id"].isin(self._renewed)
            for seg, r in res.items():
                dp = parts(due, seg)
                ren = int(dp["renewed"].sum()) if len(dp) else 0
                r["renewal_rate"] = (pct(ren, len(dp)), {"renewed": ren, "due": len(dp)})
        if "tickets" in has:
            tk = self.t["tickets"]
            resolved = tk[tk.resolved_at.notna() & (tk.resolved_at >= t0) & (tk.resolved_at < t1)]
            hours = (resolved.resolved_at - resolved.opened_at).dt.total_seconds() / 3600
            resolved = resolved.assign(hours=hours)
            open_at_end = tk[(tk.opened_at < t1) & (tk.resolved_at.isna() | (tk.resolved_at >= t1))]
            for seg, r in res.items():
                rp = parts(resolved, seg)
                r["ticket_resolution_time"] = (
                    _median(rp["hours"]),
                    {
                        "resolved": len(rp),
                        "median_hours": _median(rp["hours"]),
                        "mean_hours": _mean(rp["hours"]),
                    },
                )
                op = parts(open_at_end, seg)
                stale = int((op.opened_at < t1 - pd.Timedelta(hours=48)).sum())
                r["open_tickets_over_48h"] = (
                    stale,
                    {"open_over_48h": stale, "open_tickets": len(op)},
                )

    def survey_threshold(self, name: str) -> float:
        """Top two points of a scale of 5+ points, else its top point; the scale from the
        answers' scale_min/scale_max, else the observed scores of the survey (all time)."""
        s = self.t["survey_responses"]
        s = s[s.survey == name]
        lo = s["scale_min"].fillna(s.score).min()
        hi = s["scale_max"].fillna(s.score).max()
        return float(hi - 1 if hi - lo >= 4 else hi)

    # -- subscriptions -----------------------------------------------------------------------
    def mrr_at(self, t: pd.Timestamp) -> pd.Series:
        s = self.t["subscriptions"]
        running = s[(s.started_at <= t) & (s.ended_at.isna() | (s.ended_at > t))]
        return running.groupby("customer_id")["mrr"].sum()

    def mrr_stats(self, t0: pd.Timestamp, t1: pd.Timestamp) -> dict[str, dict[str, Any]]:
        m0, m1 = self.mrr_at(t0), self.mrr_at(t1)
        first = self.t["subscriptions"].groupby("customer_id").started_at.min().to_dict()
        ids = sorted(set(m0.index) | set(m1.index))
        frame = pd.DataFrame(
            {
                "customer_id": ids,
                "m0": [float(m0.get(c, 0.0)) for c in ids],
                "m1": [float(m1.get(c, 0.0)) for c in ids],
            }
        )
        frame["segment"] = self.seg_of(frame["customer_id"])
        out = {}
        for seg, p in frame.groupby("segment"):
            starts = (p.m0 == 0) & (p.m1 > 0)
            is_first = p.customer_id.map(lambda c: t0 < first[c] <= t1)
            churn = (p.m0 > 0) & (p.m1 == 0)
            out[seg] = {
                "mrr": float(p.m1.sum()),
                "start_mrr": float(p.m0.sum()),
                "paying_customers": int((p.m1 > 0).sum()),
                "new_mrr": float(p.m1[starts & is_first].sum()),
                "reactivation_mrr": float(p.m1[starts & ~is_first].sum()),
                "expansion_mrr": float((p.m1 - p.m0)[(p.m0 > 0) & (p.m1 > p.m0)].sum()),
                "contraction_mrr": float((p.m0 - p.m1)[(p.m1 > 0) & (p.m1 < p.m0)].sum()),
                "churned_mrr": float(p.m0[churn].sum()),
                "new_subscribers": int((starts & is_first).sum()),
                "churned_subscribers": int(churn.sum()),
            }
        return out

    # -- acquisition costs -------------------------------------------------------------------
    def cost_stats(self, t0: pd.Timestamp, t1: pd.Timestamp) -> dict[str, tuple[float, dict]]:
        """CAC costs per segment: split only by channel (where the cost lines carry one); for
        other segment schemes costs cannot be attributed, so they are unknown per segment."""
        c = self.t["acquisition_costs"]
        c = c[(c.incurred_on >= t0) & (c.incurred_on < t1)].copy()
        if self.segment is None:
            c["segment"] = ALL
        elif self.segment == "channel":
            c["segment"] = c["channel"].map(lambda v: UNKNOWN if pd.isna(v) else str(v))
        else:
            return {}
        out = {}
        for seg, p in c.groupby("segment"):
            cats = p.groupby("category")["amount"].sum()
            out[seg] = (float(p["amount"].sum()), {str(k): float(v) for k, v in cats.items()})
        return out
