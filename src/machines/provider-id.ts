/** A provider actor's systemId: anything reaches it with `system.get(providerSystemId(id))`. */
export function providerSystemId(providerId: string): string {
  return `provider:${providerId}`;
}
