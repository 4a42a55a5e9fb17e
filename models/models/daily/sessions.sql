-- One row per session, on the UTC day it started. A session is the events sharing a $session_id (what
-- posthog-js sends); events without one (server-side SDKs) make sessions per person, a new one after 30
-- minutes without events. A day's run reads the day before it (a session may have started then) and the day
-- after it (a session that started late in the day ends after midnight), so sessions come out whole unless
-- they last over 24 hours.
{{ config(order_by='(project_id, day, session_key)') }}

{%- set idle_seconds = 1800 %}
{%- set around_seconds = 86400 %}

with
    events as (
        select project_id, person_id, distinct_id, uuid, event, timestamp, session_id, pathname, current_url,
            referrer, utm_source, utm_medium, utm_campaign, device_type
        from {{ ref('stg_events') }}
        where {{ in_build_days(seconds_before=around_seconds, seconds_after=around_seconds) }}
    ),

    -- Events without $session_id make sessions per person: one starts at an event over 30 minutes after the
    -- person's previous one, and is keyed by person and start time (the latest start so far), so the key is
    -- the same whichever days a run reads. The windows run per $session_id too, where they are not used.
    gaps as (
        select
            *,
            toUnixTimestamp64Micro(timestamp) as micros,
            micros - lagInFrame(micros, 1, 0) over person_events > {{ idle_seconds }} * 1000000 as starts_session
        from events
        window person_events as (
            partition by project_id, person_id, session_id order by {{ event_order() }}
            rows between unbounded preceding and current row
        )
    ),

    sessioned as (
        select
            * except (micros, starts_session),
            if(
                session_id != '',
                session_id,
                concat(toString(person_id), '@', toString(max(if(starts_session, micros, 0)) over person_events))
            ) as session_key
        from gaps
        window person_events as (
            partition by project_id, person_id, session_id order by {{ event_order() }}
            rows between unbounded preceding and current row
        )
    ),

    sessions as (
        select
            project_id,
            session_key,
            any(session_id) as session_id,
            argMin(person_id, {{ event_order() }}) as person_id,
            argMin(distinct_id, {{ event_order() }}) as distinct_id,
            min(timestamp) as started_at,
            max(timestamp) as ended_at,
            count() as events,
            countIf(event = '$pageview') as pageviews,
            countIf(event = '$autocapture') as autocaptures,
            argMinIf(pathname, {{ event_order() }}, event = '$pageview') as entry_pathname,
            argMinIf(current_url, {{ event_order() }}, event = '$pageview') as entry_url,
            argMaxIf(pathname, {{ event_order() }}, event = '$pageview') as exit_pathname,
            argMin(referrer, {{ event_order() }}) as referrer,
            argMin(utm_source, {{ event_order() }}) as utm_source,
            argMin(utm_medium, {{ event_order() }}) as utm_medium,
            argMin(utm_campaign, {{ event_order() }}) as utm_campaign,
            argMin(device_type, {{ event_order() }}) as device_type
        from sessioned
        group by project_id, session_key
    )

select
    project_id,
    toDate(started_at) as day,
    session_key,
    session_id,
    person_id,
    distinct_id,
    started_at,
    ended_at,
    (toUnixTimestamp64Micro(ended_at) - toUnixTimestamp64Micro(started_at)) / 1e6 as duration_seconds,
    events,
    pageviews,
    entry_pathname,
    entry_url,
    exit_pathname,
    -- PostHog's rule: one pageview, no autocapture, and under 10 seconds.
    toUInt8(pageviews = 1 and autocaptures = 0 and duration_seconds < 10) as is_bounce,
    referrer,
    utm_source,
    utm_medium,
    utm_campaign,
    device_type
from sessions
where {{ day_in_build_days('toDate(started_at)') }}
