"""Everything that speaks to the platforms: the TikTok client, signature checks, redirect-URI rules."""
