export async function echoSuffix(input: string): Promise<string> {
  return `${input}-done`;
}
