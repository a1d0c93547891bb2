import { readFileSync } from 'node:fs';
import { Properties } from 'properties-file/parser';
import { ConfigError } from './errors.ts';

/** One effective property of a file: Java `.properties` semantics, last occurrence wins. */
export interface Property {
  key: string;
  value: string;
  line: number;
}

/**
 * Parses `.properties` text exactly as `java.util.Properties.load` does
 * (separators `=`, `:` or whitespace, `#`/`!` comments, `\` continuations, escapes),
 * keeping the line each key was defined on.
 */
export function parseProperties(text: string): Map<string, Property> {
  const result = new Map<string, Property>();
  for (const node of new Properties(text).getProperties()) {
    result.set(node.key, { key: node.key, value: node.value, line: node.startingLineNumber });
  }
  return result;
}

/** `${NAME}`, or `$${...}` which stands for a literal `${...}` (so generated configs can say `${` verbatim). */
const ENV_REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` in values with the environment variable NAME (as Flume's
 * EnvVarResolverProperties does), so that secrets can come from the environment.
 * A reference to an unset variable is an error: an empty password would fail much later and less clearly.
 */
export function substituteEnv(properties: Map<string, Property>, env: NodeJS.ProcessEnv, file: string): Map<string, Property> {
  const result = new Map<string, Property>();
  for (const [key, property] of properties) {
    const value = property.value.replace(ENV_REFERENCE, (_match, escaped: string, name: string) => {
      if (escaped === '$') return `\${${name}}`;
      const resolved = env[name];
      if (resolved === undefined) {
        throw new ConfigError(`refers to environment variable \${${name}}, which is not set`, { file, line: property.line, key });
      }
      return resolved;
    });
    result.set(key, { ...property, value });
  }
  return result;
}

/** Reads and parses a properties file, substituting environment variables. */
export function readPropertiesFile(file: string, env: NodeJS.ProcessEnv = process.env): Map<string, Property> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the configuration file (${(error as Error).message})`, { file });
  }
  return substituteEnv(parseProperties(text), env, file);
}
