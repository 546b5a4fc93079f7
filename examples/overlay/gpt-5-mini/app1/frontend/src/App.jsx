import { useEffect, useState } from 'react'

// The to-do list, as a model wrote it. It talks to its backend through /api.
export default function App() {
  const [todos, setTodos] = useState([])
  const [title, setTitle] = useState('')

  useEffect(() => {
    fetch('/api/todos').then((r) => r.json()).then(setTodos)
  }, [])

  const add = async (e) => {
    e.preventDefault()
    const r = await fetch('/api/todos', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title }),
    })
    setTodos([...todos, await r.json()])
    setTitle('')
  }

  return (
    <main className="app">
      <h1>Todo</h1>
      <form onSubmit={add}>
        <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="New item" />
      </form>
      <ul>
        {todos.map((t) => (
          <li key={t.id}>{t.title}</li>
        ))}
      </ul>
    </main>
  )
}
