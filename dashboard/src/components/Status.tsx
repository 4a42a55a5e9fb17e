// Loading, empty and error states, each saying what happened.
import type { ReactNode } from 'react'

export function Loading({ what }: { what: string }) {
  return (
    <div className="status loading" role="status">
      <span className="spinner" aria-hidden /> Loading {what}…
    </div>
  )
}

export function ErrorNote({ error, what, retry }: { error: Error | string; what: string; retry?: () => void }) {
  const message = typeof error === 'string' ? error : error.message
  return (
    <div className="status error" role="alert">
      <strong>Could not {what}:</strong> {message}
      {retry && (
        <button type="button" className="link" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="status empty">{children}</div>
}
