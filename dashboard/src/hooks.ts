import { useCallback, useEffect, useRef, useState } from 'react'

export interface Loaded<T> {
  data: T | null
  error: Error | null
  loading: boolean
  reload: () => void
}

/** Runs `load` now and whenever `deps` change; a slower earlier answer never overwrites a later one. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  })
  const generation = useRef(0)
  const run = useCallback(load, deps) // the caller's deps name what load reads
  const reload = useCallback(() => {
    const mine = ++generation.current
    setState((previous) => ({ ...previous, error: null, loading: true }))
    run().then(
      (data) => mine === generation.current && setState({ data, error: null, loading: false }),
      (error: Error) => mine === generation.current && setState({ data: null, error, loading: false }),
    )
  }, [run])
  useEffect(reload, [reload])
  return { ...state, reload }
}
