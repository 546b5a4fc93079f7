import { useEffect, useState } from 'react'

const TITLE = {{app_title_json}}

export default function App() {
  const [message, setMessage] = useState(null)
  const [error, setError] = useState(null)

  useEffect(() => {
    fetch('/api/message')
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then(setMessage)
      .catch((e) => setError(String(e)))
  }, [])

  return (
    <main className="app" style={{ margin: 0 }}>
      <h1>{TITLE}</h1>
      <p className="meta">{{project_name}}</p>
      {error && <p className="error">Backend unreachable: {error}</p>}
      {message && (
        <pre className="message">{JSON.stringify(message, null, 2)}</pre>
      )}
    </main>
  )
}
