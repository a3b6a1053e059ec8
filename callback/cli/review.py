"""`greenlight review-kit`: what the developer portals ask for, written out from the facts."""

from __future__ import annotations

from pathlib import Path

import click

from callback.cli.review_portal import app_face, pages, products, scopes_table, urls
from callback.facts import Facts, FactsError, load_facts, read_config
from callback.facts.setup import local, public_users
from callback.facts.source import docs_dir


def demo_video(facts: Facts, config: dict) -> list[str]:
    """Return the demo-video script: the site, the sign-in, then the posting page in TikTok's order (points 1-5)."""
    p, scopes, name = pages(facts, config), set(facts.tiktok_scopes), facts.name
    post = f"{facts.service_url}/post"
    where = p["landing"] if local(facts) else f"{p['landing']} and {facts.service_url}"
    out = [
        f"Record on the app's own domain ({where}) in a desktop browser with the address bar visible: a demo "
        "recorded on localhost, a staging host or any other domain is rejected.",
        "",
        "Show an app that serves creators: TikTok rejects apps **for private or personal use** (a tool that "
        "posts only to its owner's own accounts), however complete the rest of the video is.",
        "",
    ]
    steps = [
        f"Open the website {p['landing']}; scroll so the description, the scopes and the Privacy Policy and "
        "Terms links show without opening a menu.",
        f"Open the Privacy Policy and the Terms of Service from those links ({p['privacy']}, {p['terms']}).",
        f"Start the connection from {facts.connect_url if public_users(facts) else 'a `greenlight connect` link'}: "
        f"TikTok's consent page shows the app name {name!r} "
        "and every scope requested (use an account that has not authorized the app yet, so consent shows).",
        "Authorize, and show the connected account's display name and avatar back in the app (user.info.basic).",
    ]
    if "video.publish" in scopes:
        steps += [
            f'Queue a video (`greenlight post VIDEO --title "..."`) and open the posting page {post}; walk it from '
            "top to bottom, in the order of TikTok's Direct Post guidelines:",
            'Point 1, creator info: the page shows the creator\'s nickname ("Posting as ...") from a fresh '
            "creator_info query made as it renders. When creator_info says the creator cannot post now, the page "
            "stops with TikTok's reason; a video longer than max_video_post_duration_sec is refused before upload, "
            "its Post button disabled with the reason beside it.",
            'Point 2, title and privacy: edit the title; "Who can see this video" lists creator_info\'s '
            "privacy_level_options with **no default**: nothing is selected and Post stays disabled until the "
            "creator picks one.",
            "Point 3, interactions: the Comment, Duet and Stitch toggles are **off** by default, and greyed out "
            "when creator_info says they are disabled for this account (show one greyed); photo posts offer Comment "
            "only (no Duet or Stitch), and this page posts videos.",
            "Point 4, commercial content disclosure: the toggle is off by default; turning it on offers "
            "**Your Brand** and **Branded Content**, both unchecked, and Post stays blocked until one is chosen. "
            'Your Brand labels the post "Promotional content", Branded Content "Paid partnership". Branded '
            'Content cannot be private: the "Only me" option is disabled; hover it to show '
            '"Branded content visibility cannot be set to private."',
            "Point 5, consent and posting: above the Post button the line reads \"By posting, you agree to TikTok's "
            'Music Usage Confirmation" (with Branded Content: "... TikTok\'s Branded Content Policy and Music '
            'Usage Confirmation"), each a link. Play the preview of the video, note that no watermark or branding '
            "is added, then press Post yourself: the creator's explicit consent.",
            'Show the processing status ("processing can take a few minutes") until it reads Published '
            "(status fetch or the post.publish.* webhook).",
        ]
    if "video.upload" in scopes:
        steps.append(
            'Queue a video with `--inbox`, press "Send to my TikTok inbox" on the posting page, then '
            "show the draft notification in the TikTok app."
        )
    asks = f"the deletion form at {facts.deletion_url}" if facts.deletion_url else "the contact address it names"
    steps += [
        f"Show the data-deletion page ({p['deletion']}) and {asks}.",
        "Disconnect the app in TikTok's settings and show the account gone from the app "
        + (
            "(run `greenlight tokens refresh`: TikTok refuses the token, and its data is deleted)."
            if local(facts)
            else "(the authorization.removed webhook deleted its data)."
        ),
    ]
    out += [f"{i}. {s}" for i, s in enumerate(steps, 1)]
    out += [
        "",
        "Until the app passes TikTok's audit, every Direct Post is limited to `SELF_ONLY` and at most "
        "**5 creators can post in 24 hours**: make the demo account private, or record with the inbox upload.",
    ]
    return out


def review_kit(facts: Facts, config: dict, root: Path | None = None) -> str:
    """Render the whole review kit as Markdown."""
    p = pages(facts, config)
    lines = [
        f"# {facts.name}: app review kit",
        "",
        f"Generated from the facts (policies effective {facts.effective_date:%Y-%m-%d}). Run "
        "`greenlight check --site <site URL> --service <service URL>` before submitting.",
        "",
    ]
    if facts.draft:
        lines += ["> **Draft facts.** These facts say `draft: true`: finish them before you submit anything.", ""]
    lines += [
        "## App details",
        "",
        f"- App name: **{facts.name}**",
        f"- Website: {p['landing']}",
        f"- Platform: {'Web' if facts.app_type == 'web' else 'Desktop'}",
        *app_face(facts, root),
        "",
        "Short description:",
        "",
        f"> {facts.summary}",
        "",
        "Description:",
        "",
        *(f"> {line}" if line else ">" for line in facts.description.strip().splitlines()),
        "",
        "## Products",
        "",
        *products(facts),
        "## Scopes",
        "",
        *scopes_table(facts),
        "",
        "## URLs to paste",
        "",
        *urls(facts, config),
        "",
        "## Demo video checklist",
        "",
        *demo_video(facts, config),
        "",
    ]
    return "\n".join(lines)


@click.command("review-kit")
@click.option(
    "--output",
    "-o",
    default="review-kit.md",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Markdown file to write the kit to.",
)
@click.pass_context
def review_kit_command(ctx: click.Context, output: str) -> None:
    """Print and save what the developer portals ask for.

    Descriptions, products, scopes and where users see them, the URLs to paste, and the demo-video
    checklist, all from the facts.
    """
    path = ctx.find_root().obj["facts_path"]
    try:
        text = review_kit(load_facts(path), read_config(path), docs_dir(path))
    except FactsError as exc:
        raise click.ClickException("the facts file is invalid:\n" + str(exc)) from None
    click.echo(text)
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"could not write {output}: {exc.strerror}") from None
    click.echo(f"Wrote {output}", err=True)
