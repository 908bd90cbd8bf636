/**
 * Runs an Argo CD resource health script the way Argo CD does: the live object as the global
 * `obj` (JSON numbers as Lua numbers, arrays as 1-based tables), the result read as {status, message}.
 * The Lua VM is fengari (pure JS), so the tests need no system Lua.
 */
import { createRequire } from 'node:module';

export interface HealthStatus {
  status: string;
  message?: string;
}

/** The statuses Argo CD accepts from a health script. */
export const ARGO_HEALTH_STATUSES = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'];

export const FENGARI_MISSING =
  'The Argo CD health check is tested with the fengari Lua VM, which is not installed. Install it: npm install --save-dev fengari@^0.1.5';

let fengari: any;

function vm(): any {
  if (fengari) return fengari;
  try {
    fengari = createRequire(import.meta.url)('fengari');
  } catch (err) {
    throw new Error(`${FENGARI_MISSING}\n(${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  return fengari;
}

function push(L: any, value: unknown): void {
  const { lua, to_luastring } = vm();
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  // gopher-lua (Argo CD) has only float numbers; 3 == 3.0 holds in both
  else if (typeof value === 'number') lua.lua_pushnumber(L, value);
  else if (typeof value === 'string') lua.lua_pushstring(L, to_luastring(value));
  else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((item, i) => {
      push(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else if (typeof value === 'object') {
    lua.lua_createtable(L, 0, 0);
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      push(L, v);
      lua.lua_setfield(L, -2, to_luastring(k));
    }
  } else {
    throw new Error(`cannot pass a ${typeof value} to Lua`);
  }
}

function stringField(L: any, key: string): string | undefined {
  const { lua, to_luastring } = vm();
  lua.lua_getfield(L, -1, to_luastring(key));
  const type = lua.lua_type(L, -1);
  const value = type === lua.LUA_TNIL ? undefined : type === lua.LUA_TSTRING ? lua.lua_tojsstring(L, -1) : `<${String(lua.lua_typename(L, type))}>`;
  lua.lua_pop(L, 1);
  return value;
}

/** Runs `script` with `obj` as the global `obj`; throws on Lua errors and on results Argo CD rejects. */
export function runHealthScript(script: string, obj: unknown): HealthStatus {
  const { lua, lauxlib, lualib, to_luastring } = vm();
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  push(L, obj);
  lua.lua_setglobal(L, to_luastring('obj'));
  if (lauxlib.luaL_loadstring(L, to_luastring(script)) !== lua.LUA_OK || lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) {
    throw new Error(`Lua error: ${lua.lua_tojsstring(L, -1)}`);
  }
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) throw new Error('the health script did not return a table');
  const status = stringField(L, 'status');
  const message = stringField(L, 'message');
  if (!status || !ARGO_HEALTH_STATUSES.includes(status)) throw new Error(`Argo CD rejects health status ${JSON.stringify(status)}`);
  return message === undefined ? { status } : { status, message };
}
