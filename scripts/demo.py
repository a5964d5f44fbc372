"""The main job end to end: build the sandbox CRM's server, run it, and call it as an agent would.

1. `adaptgen build specs/crm.yaml` writes generated/crm/;
2. `adaptgen sandbox` serves the legacy CRM on 127.0.0.1;
3. `adaptgen serve generated/crm --transport http` serves MCP at /mcp, pointed at the sandbox;
4. a real MCP client (fastmcp.Client over streamable HTTP) lists the tools and calls a few,
   including a composite tool. The sandbox requires a session login for every call; the
   generated server logs in by itself (the agent never sees a login step).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from fastmcp import Client

from adaptgen.evaluation.processes import free_port, wait_for_port
from adaptgen.runtime.lean import expand
from adaptgen.sandbox import SANDBOX_PASSWORD, SANDBOX_USERNAME

ROOT = Path(__file__).resolve().parents[1]


async def agent(url: str) -> None:
    async with Client(url) as client:
        tools = await client.list_tools()
        print(f"\n{len(tools)} tools at {url}:")
        for tool in tools:
            print(f"  {tool.name:<26} {(tool.description or '').splitlines()[0][:70]}")
        print("\ncall list_contacts {'limit': 3}:")
        result = await client.call_tool("list_contacts", {"limit": 3})
        # What the agent reads: lean text (records as `_columns` + `_rows`, README "What an
        # agent sees"); `expand` reads the records back as plain objects.
        print(result.content[0].text)
        page = expand(json.loads(result.content[0].text))
        print("\ncall list_contacts with that next_cursor:")
        result = await client.call_tool(
            "list_contacts", {"limit": 2, "cursor": page["next_cursor"]}
        )
        print(result.content[0].text)
        contact_id = page["items"][0]["id"]
        print(f"\ncall get_contact {{'contact_id': {contact_id}}}:")
        result = await client.call_tool("get_contact", {"contact_id": contact_id})
        print(result.content[0].text)
        email = page["items"][0]["email"]
        print(f"\ncall open_deals_for_email {{'email': {email!r}}} (search -> get -> deals):")
        result = await client.call_tool("open_deals_for_email", {"email": email})
        print(result.content[0].text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-running", action="store_true", help="leave both servers up")
    args = parser.parse_args()
    adaptgen = [sys.executable, "-m", "adaptgen"]
    subprocess.run([*adaptgen, "build", "specs/crm.yaml"], cwd=ROOT, check=True)
    sandbox_port, mcp_port = free_port(), free_port()
    # The sandbox refuses its static API key: the generated server logs in by itself.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CRM_")},
        "CRM_BASE_URL": f"http://127.0.0.1:{sandbox_port}/api/v1",
        "CRM_USERNAME": SANDBOX_USERNAME,
        "CRM_PASSWORD": SANDBOX_PASSWORD,
    }
    processes = []
    try:
        sandbox = subprocess.Popen(
            [*adaptgen, "sandbox", "--port", str(sandbox_port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(sandbox)
        wait_for_port(sandbox_port, sandbox, 30, "the sandbox CRM")
        server = subprocess.Popen(
            [*adaptgen, "serve", "generated/crm", "--transport", "http", "--port", str(mcp_port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(server)
        wait_for_port(mcp_port, server, 30, "the generated MCP server")
        url = f"http://127.0.0.1:{mcp_port}/mcp"
        asyncio.run(agent(url))
        if args.keep_running:
            print(f"\nsandbox: {env['CRM_BASE_URL']}  MCP: {url}  (Ctrl-C to stop)")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError) as exc:  # a server that did not start: one line
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
