// The todo list screen: a list, a filter bar and an input.

import React, { useState, useMemo } from "react";

export const MAX_TODOS = 100;

export type Filter = "all" | "open" | "done";

export interface Todo {
  id: number;
  title: string;
  done: boolean;
}

interface ItemProps {
  todo: Todo;
  onToggle(id: number): void;
}

enum Key {
  Enter = "Enter",
  Escape = "Escape",
}

function TodoItem({ todo, onToggle }: ItemProps) {
  const className = todo.done ? "done" : "open";
  return (
    <li className={className} onClick={() => onToggle(todo.id)}>
      {todo.title}
    </li>
  );
}

export const FilterBar = ({ value, onChange }: { value: Filter; onChange: (f: Filter) => void }) => (
  <nav>
    {(["all", "open", "done"] as Filter[]).map((f) => (
      <button key={f} disabled={f === value} onClick={() => onChange(f)}>
        {f}
      </button>
    ))}
  </nav>
);

export class ErrorBoundary extends React.Component<{ children: React.ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  render() {
    return this.state.failed ? <p>Something broke.</p> : this.props.children;
  }
}

export default function TodoList({ initial }: { initial: Todo[] }) {
  const [todos, setTodos] = useState(initial);
  const [filter, setFilter] = useState<Filter>("all");
  const visible = useMemo(
    () => todos.filter((t) => filter === "all" || (filter === "done") === t.done),
    [todos, filter],
  );
  const toggle = (id: number) =>
    setTodos((ts) => ts.map((t) => (t.id === id ? { ...t, done: !t.done } : t)));
  return (
    <ErrorBoundary>
      <FilterBar value={filter} onChange={setFilter} />
      <ul>
        {visible.map((t) => (
          <TodoItem key={t.id} todo={t} onToggle={toggle} />
        ))}
      </ul>
    </ErrorBoundary>
  );
}
