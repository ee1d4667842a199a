// A model version's confusion matrix on held-out human labels: rows are the true class, columns the prediction; a
// cell's shade is its share of the row, so each class's mistakes stand out whatever its size.
export function ConfusionMatrix({ names, matrix }: { names: string[]; matrix: number[][] }) {
  return (
    <div className="overflow-x-auto">
      <table className="border-separate border-spacing-0.5 text-xs tabular-nums" data-testid="confusion-matrix">
        <thead>
          <tr>
            <th className="px-1 text-right font-normal text-slate-400">true ↓ / predicted →</th>
            {names.map((n, j) => (
              <th key={j} className="max-w-20 truncate px-1 font-medium text-slate-600" title={n}>
                {n}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => {
            const total = row.reduce((a, b) => a + b, 0);
            return (
              <tr key={i}>
                <th className="max-w-32 truncate px-1 text-right font-medium text-slate-600" title={names[i]}>
                  {names[i] ?? `class ${i}`}
                </th>
                {row.map((v, j) => {
                  const share = total > 0 ? v / total : 0;
                  const good = i === j;
                  return (
                    <td
                      key={j}
                      className={`size-9 min-w-9 rounded text-center ${share > 0.55 ? "text-white" : "text-slate-700"}`}
                      style={{ backgroundColor: v === 0 ? "#f8fafc" : good ? `rgba(5, 150, 105, ${0.15 + share * 0.85})` : `rgba(225, 29, 72, ${0.15 + share * 0.85})` }}
                      title={`${names[i]} predicted as ${names[j]}: ${v} of ${total}`}
                    >
                      {v}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
