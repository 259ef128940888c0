-- The monthly order-KPI report of benchmarks/run.py, written by hand for DuckDB: the baseline
-- retentionkit is compared with. Same definitions as the engine (SPEC §3–4, activity customers
-- with the window = the reporting month, churn on the start basis): one row per month of the
-- report range (first to last month holding an order or a return), components and values.
--
-- Two passes over orders do all the work: a GROUP BY (customer, month) that feeds every
-- customer count, repeat buyer and order total, and one window over orders by customer and time
-- for time to second purchase and time between purchases. Processing time and the sold
-- quantity read the orders once more; returns are read once.
WITH
bounds AS (
    SELECT
        date_trunc('month', least(o.lo, coalesce(r.lo, o.lo))) AS first_month,
        date_trunc('month', greatest(o.hi, coalesce(r.hi, o.hi))) AS last_month
    FROM (SELECT min(ordered_at) AS lo, max(ordered_at) AS hi FROM orders) AS o,
         (SELECT min(returned_at) AS lo, max(returned_at) AS hi FROM returns) AS r
),
months AS (
    SELECT CAST(m AS TIMESTAMP) AS month
    FROM bounds, generate_series(bounds.first_month, bounds.last_month, INTERVAL 1 MONTH) AS g(m)
),
-- one row per customer and month with an order
cm AS (
    SELECT
        customer_id,
        date_trunc('month', ordered_at) AS month,
        count(*) AS n,
        sum(amount) AS amount
    FROM orders
    GROUP BY ALL
),
cm_seq AS (
    SELECT
        month,
        lag(month) OVER w AS previous_month,
        min(month) OVER (PARTITION BY customer_id) AS first_month,
        sum(n) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS orders_so_far,
        n,
        amount
    FROM cm
    WINDOW w AS (PARTITION BY customer_id ORDER BY month)
),
per_month AS (
    SELECT
        month,
        count(*) AS buyers,
        count(*) FILTER (WHERE previous_month = month - INTERVAL 1 MONTH) AS retained,
        count(*) FILTER (WHERE first_month = month) AS new,
        count(*) FILTER (WHERE orders_so_far >= 2) AS repeat_buyers,
        sum(n) AS orders,
        CAST(sum(amount) AS DOUBLE) AS order_amount
    FROM cm_seq
    GROUP BY month
),
-- consecutive orders of each customer: gaps, and the first-to-second purchase (rn = 2)
seq AS (
    SELECT
        ordered_at,
        date_diff(
            'microsecond',
            lag(ordered_at) OVER w,
            ordered_at
        ) / 86400000000 AS days,
        row_number() OVER w AS rn
    FROM orders
    WINDOW w AS (PARTITION BY customer_id ORDER BY ordered_at, order_id)
),
gaps AS (
    SELECT
        date_trunc('month', ordered_at) AS month,
        count(*) AS pairs,
        median(days) AS gap_median_days,
        avg(days) AS gap_mean_days,
        count(*) FILTER (WHERE rn = 2) AS second_customers,
        median(days) FILTER (WHERE rn = 2) AS second_median_days,
        avg(days) FILTER (WHERE rn = 2) AS second_mean_days
    FROM seq
    WHERE days IS NOT NULL
    GROUP BY month
),
processing AS (
    SELECT
        date_trunc('month', delivered_at) AS month,
        count(*) AS delivered,
        median(date_diff('microsecond', ordered_at, delivered_at) / 86400000000) AS median_days,
        avg(date_diff('microsecond', ordered_at, delivered_at) / 86400000000) AS mean_days
    FROM orders
    WHERE delivered_at IS NOT NULL
    GROUP BY month
),
sold AS (
    SELECT
        date_trunc('month', ordered_at) AS month,
        CAST(sum(quantity) AS DOUBLE) AS sold_quantity,
        count(quantity) AS orders_with_quantity,
        CAST(sum(amount) AS DOUBLE) AS sold_amount,
        count(*) AS orders
    FROM orders
    GROUP BY month
),
ret AS (
    SELECT
        date_trunc('month', returned_at) AS month,
        count(*) AS returns,
        CAST(sum(amount) AS DOUBLE) AS returned_amount,
        CAST(sum(quantity) AS DOUBLE) AS returned_quantity,
        count(quantity) AS returns_with_quantity
    FROM returns
    GROUP BY month
),
report AS (
    SELECT
        m.month AS period_start,
        coalesce(prev.buyers, 0) AS "start",
        coalesce(cur.buyers, 0) AS "end",
        coalesce(cur.retained, 0) AS retained,
        coalesce(cur.new, 0) AS new,
        coalesce(cur.buyers, 0) - coalesce(cur.retained, 0) - coalesce(cur.new, 0)
            AS reactivated,
        coalesce(prev.buyers, 0) - coalesce(cur.retained, 0) AS lost,
        coalesce(cur.new, 0) AS acquired,
        coalesce(cur.orders, 0) AS orders,
        coalesce(cur.buyers, 0) AS buyers,
        coalesce(cur.order_amount, 0) AS order_amount,
        coalesce(cur.repeat_buyers, 0) AS repeat_buyers,
        coalesce(ret.returned_amount, 0) AS returned_amount,
        coalesce(g.second_customers, 0) AS second_customers,
        g.second_median_days,
        g.second_mean_days,
        coalesce(g.pairs, 0) AS pairs,
        g.gap_median_days,
        g.gap_mean_days,
        coalesce(p.delivered, 0) AS delivered,
        p.median_days AS processing_median_days,
        p.mean_days AS processing_mean_days,
        coalesce(s.orders_with_quantity, 0) = coalesce(s.orders, 0)
            AND coalesce(ret.returns_with_quantity, 0) = coalesce(ret.returns, 0) AS by_quantity,
        coalesce(s.sold_quantity, 0) AS sold_quantity,
        coalesce(s.sold_amount, 0) AS sold_amount,
        coalesce(ret.returned_quantity, 0) AS returned_quantity
    FROM months AS m
    LEFT JOIN per_month AS cur ON cur.month = m.month
    LEFT JOIN per_month AS prev ON prev.month = m.month - INTERVAL 1 MONTH
    LEFT JOIN gaps AS g ON g.month = m.month
    LEFT JOIN processing AS p ON p.month = m.month
    LEFT JOIN sold AS s ON s.month = m.month
    LEFT JOIN ret ON ret.month = m.month
)
SELECT
    *,
    100.0 * retained / nullif("start", 0) AS crr,
    100.0 * lost / nullif("start", 0) AS churn_rate,
    "end" AS active_customers,
    acquired AS new_customers,
    reactivated AS reactivated_customers,
    lost AS lost_customers,
    100.0 * repeat_buyers / nullif(buyers, 0) AS repeat_purchase_rate,
    orders / nullif(buyers, 0) AS purchase_frequency,
    order_amount / nullif(orders, 0) AS average_order_value,
    order_amount - returned_amount AS revenue,
    second_median_days AS time_to_second_purchase,
    gap_median_days AS time_between_purchases,
    100.0 * CASE WHEN by_quantity THEN returned_quantity ELSE returned_amount END
        / nullif(CASE WHEN by_quantity THEN sold_quantity ELSE sold_amount END, 0) AS return_rate,
    processing_median_days AS order_processing_time
FROM report
ORDER BY period_start
