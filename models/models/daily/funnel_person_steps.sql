-- Per funnel of var('funnels'), project, UTC day and person who did the funnel's first step that day: how
-- far they got within the funnel's window, and when each step they reached happened.
--
-- A try starts at a first-step event of the day; each next step is the first event of that step after the
-- previous step (in time, then uuid order) and at most window_seconds after the try's start. The person's
-- row is their furthest try, the earliest among equals (by the positions of its steps in that order). A
-- window may cross midnight: a day's run reads the events up to the longest window after it.
--
-- Its hooks record which days each run built from which state of each project's data (funnel_builds), so
-- that the query API can tell when the table answers a funnel exactly as raw events would.
{{ config(
    order_by='(project_id, funnel, day, person_id)',
    pre_hook="{{ record_funnel_build_start() }}",
    post_hook="{{ record_funnel_build_end() }}",
) }}

{%- set funnels = funnel_definitions() %}
{%- set max_window_seconds = funnels | map(attribute='window_seconds') | max %}
{%- set step_names = [] %}
{%- for funnel in funnels %}{% do step_names.extend(funnel.steps) %}{% endfor %}

with
    -- Each event once per funnel it is a step of, and once per day whose tries its window can reach: the
    -- days from (time - window) to its own.
    step_events as (
        select
            definition.1 as funnel,
            definition.2 as steps,
            definition.3 as window_seconds,
            project_id,
            person_id,
            toUnixTimestamp64Micro(timestamp) as micros,
            toString(uuid) as uuid_text,
            event,
            toDate(timestamp - toIntervalSecond(window_seconds)) as first_day,
            arrayJoin(arrayMap(n -> addDays(first_day, n), range(dateDiff('day', first_day, toDate(timestamp)) + 1)))
                as day,
            event = steps[1] and toDate(timestamp) = day as starts_try
        from {{ ref('stg_events') }}
        array join arrayFilter(f -> has(f.2, event), {{ funnels_literal(funnels) }}) as definition
        where event in ({% for name in step_names | unique %}{{ sql_string(name) }}{{ ', ' if not loop.last }}{% endfor %})
            and {{ in_build_days(seconds_after=max_window_seconds) }}
    ),

    person_days as (
        select
            funnel,
            project_id,
            day,
            person_id,
            any(steps) as steps,
            any(window_seconds) * 1000000 as window_micros,
            arraySort(e -> (e.1, e.2), groupArray((micros, uuid_text, event, starts_try))) as sorted,
            arrayMap(e -> e.1, sorted) as times,
            arrayMap(e -> e.3, sorted) as names,
            -- next_step[k - 1][i]: the index of the first event at or after i of step k >= 2 (0: none), so that a
            -- try finds each step in one look-up, not by scanning the rest of a day that may hold thousands
            arrayMap(
                k -> arrayReverseFill(
                    j -> j > 0, arrayMap(i -> if(names[i] = steps[k], toUInt32(i), toUInt32(0)), arrayEnumerate(names))
                ),
                range(2, length(steps) + 1)
            ) as next_step,
            -- each try: the indexes of the steps it reached, found greedily (the first match is never worse)
            arrayMap(
                start -> arrayFold(
                    (reached, k) -> if(
                        length(reached) = k - 1
                            and next_step[k - 1][reached[-1] + 1] > 0
                            and times[next_step[k - 1][reached[-1] + 1]] <= times[start] + window_micros,
                        arrayPushBack(reached, next_step[k - 1][reached[-1] + 1]),
                        reached
                    ),
                    range(2, length(steps) + 1),
                    [toUInt32(start)]
                ),
                arrayFilter(i -> sorted[i].4, arrayEnumerate(sorted))
            ) as tries
        from step_events
        where {{ day_in_build_days() }}
        group by funnel, project_id, day, person_id
        having notEmpty(tries)
    )

select
    toLowCardinality(funnel) as funnel,
    project_id,
    day,
    person_id,
    arraySort(try -> (-length(try), try), tries)[1] as best,
    toUInt8(length(best)) as steps_reached,
    toUInt8(length(steps)) as steps_total,
    arrayMap(i -> fromUnixTimestamp64Micro(times[i], 'UTC'), best) as step_times
from person_days
