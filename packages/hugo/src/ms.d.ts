// The `ms` package ships typings, but its `exports` map does not point at them, so NodeNext resolution cannot find
// them; this is the one signature Hugo uses (parse text to milliseconds, NaN when it is not a duration).
declare module 'ms' {
  export default function ms(value: string): number;
}
