-- Which days dbt's funnel_person_steps has built, per project, and from which state of the project's data
-- (docs/MODELS.md "Funnels", docs/QUERIES.md "Funnel"). Before the model runs, a dbt pre-hook writes a row
-- per project with its project_changes count and the days about to be built (finished = 0); after it ran, a
-- post-hook copies the invocation's rows with finished = 1. The query API answers a funnel from the table
-- only when finished builds whose count equals the project's current one cover every day asked: nothing
-- was written to the project since those builds read it, so the table holds exactly the raw answer.
CREATE TABLE IF NOT EXISTS funnel_builds
(
    invocation_id String,
    project_id UInt64,
    changes UInt64,
    day_from Date,
    -- exclusive; a build without an end (every day from day_from) says 2149-06-06, the last Date
    day_to Date,
    -- the funnels the build computed: (name, steps, window_seconds) as in models/dbt_project.yml
    funnels Array(Tuple(name String, steps Array(String), window_seconds UInt32)),
    finished UInt8,
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (project_id, changes, invocation_id);
