/** Operator entry point (the controller arrives with the controller issue). */
export async function runOperator(): Promise<number> {
  process.stderr.write('booking-operator run: the controller is not built yet\n');
  return 1;
}
