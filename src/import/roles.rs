//! What an input column can mean (a [`Role`]), the output field each role becomes, and the
//! header aliases that name a role outright.

/// What an input column means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Handle or display name: the importer picks the most handle-like as the ID.
    Identity,
    Followers,
    Category,
    Country,
    AvgViews,
    AvgLikes,
    AvgComments,
    AvgShares,
    /// Average engagements per post (a count).
    EngagementAvg,
    /// Engagements per follower, as a fraction or percent.
    EngagementRate,
    PricePerPost,
    PostsPerWeek,
    SponsoredShare,
    TotalViews,
    Uploads,
    FollowersGained30d,
    Views30d,
}

impl Role {
    pub const ALL: [Role; 17] = [
        Role::Identity,
        Role::Followers,
        Role::Category,
        Role::Country,
        Role::AvgViews,
        Role::AvgLikes,
        Role::AvgComments,
        Role::AvgShares,
        Role::EngagementAvg,
        Role::EngagementRate,
        Role::PricePerPost,
        Role::PostsPerWeek,
        Role::SponsoredShare,
        Role::TotalViews,
        Role::Uploads,
        Role::FollowersGained30d,
        Role::Views30d,
    ];

    /// Output column of the role (identity columns become `handle` and `name`).
    pub fn output(self) -> &'static str {
        match self {
            Role::Identity => "handle",
            Role::Followers => "followers",
            Role::Category => "category",
            Role::Country => "country",
            Role::AvgViews => "avg_views",
            Role::AvgLikes => "avg_likes",
            Role::AvgComments => "avg_comments",
            Role::AvgShares => "avg_shares",
            Role::EngagementAvg => "avg_engagements",
            Role::EngagementRate => "engagement_rate",
            Role::PricePerPost => "price_per_post",
            Role::PostsPerWeek => "posts_per_week",
            Role::SponsoredShare => "sponsored_share",
            Role::TotalViews => "total_views",
            Role::Uploads => "uploads",
            Role::FollowersGained30d => "followers_gained_30d",
            Role::Views30d => "views_30d",
        }
    }
}

/// Header aliases, compared after [`header_key`] (lower case, letters and digits only). Earlier
/// entries of one role win when a list has several columns of that role.
pub const ALIASES: &[(&str, Role)] = &[
    ("handle", Role::Identity),
    ("username", Role::Identity),
    ("account", Role::Identity),
    ("influencerinstaname", Role::Identity),
    ("instagramname", Role::Identity),
    ("tiktokername", Role::Identity),
    ("tiktoker", Role::Identity),
    ("tiktokname", Role::Identity),
    ("youtubername", Role::Identity),
    ("youtuber", Role::Identity),
    ("youtubechannel", Role::Identity),
    ("channelname", Role::Identity),
    ("channel", Role::Identity),
    ("influencername", Role::Identity),
    ("creator", Role::Identity),
    ("creatorname", Role::Identity),
    ("kol", Role::Identity),
    ("name", Role::Identity),
    ("title", Role::Identity),
    ("达人昵称", Role::Identity),
    ("达人", Role::Identity),
    ("昵称", Role::Identity),
    ("账号", Role::Identity),
    ("抖音号", Role::Identity),
    ("快手号", Role::Identity),
    ("小红书号", Role::Identity),
    ("followers", Role::Followers),
    ("subscribers", Role::Followers),
    ("subscriberscount", Role::Followers),
    ("subscribercount", Role::Followers),
    ("followerscount", Role::Followers),
    ("followercount", Role::Followers),
    ("fans", Role::Followers),
    ("粉丝数", Role::Followers),
    ("粉丝量", Role::Followers),
    ("粉丝", Role::Followers),
    ("粉丝总数", Role::Followers),
    ("category", Role::Category),
    ("category1", Role::Category),
    ("niche", Role::Category),
    ("topic", Role::Category),
    ("类目", Role::Category),
    ("分类", Role::Category),
    ("领域", Role::Category),
    ("channeltype", Role::Category),
    ("country", Role::Country),
    ("audiencecountry", Role::Country),
    ("audiencecountrymostly", Role::Country),
    ("region", Role::Country),
    ("国家", Role::Country),
    ("地区", Role::Country),
    ("viewsavg", Role::AvgViews),
    ("avgviews", Role::AvgViews),
    ("averageviews", Role::AvgViews),
    ("平均播放量", Role::AvgViews),
    ("场均播放", Role::AvgViews),
    ("likesavg", Role::AvgLikes),
    ("avglikes", Role::AvgLikes),
    ("averagelikes", Role::AvgLikes),
    ("平均点赞", Role::AvgLikes),
    ("commentsavg", Role::AvgComments),
    ("avgcomments", Role::AvgComments),
    ("averagecomments", Role::AvgComments),
    ("平均评论", Role::AvgComments),
    ("sharesavg", Role::AvgShares),
    ("avgshares", Role::AvgShares),
    ("平均分享", Role::AvgShares),
    ("engagementavg", Role::EngagementAvg),
    ("engagementaverage", Role::EngagementAvg),
    ("engavg", Role::EngagementAvg),
    ("avgengagement", Role::EngagementAvg),
    ("averageengagement", Role::EngagementAvg),
    ("engagementrate", Role::EngagementRate),
    ("er", Role::EngagementRate),
    ("互动率", Role::EngagementRate),
    ("price", Role::PricePerPost),
    ("priceperpost", Role::PricePerPost),
    ("报价", Role::PricePerPost),
    ("刊例价", Role::PricePerPost),
    ("postsperweek", Role::PostsPerWeek),
    ("sponsoredshare", Role::SponsoredShare),
    ("videoviews", Role::TotalViews),
    ("totalviews", Role::TotalViews),
    ("uploads", Role::Uploads),
    ("subscribersforlast30days", Role::FollowersGained30d),
    ("followersgained30d", Role::FollowersGained30d),
    ("videoviewsforthelast30days", Role::Views30d),
];

/// Lower case, letters and digits only: `"\nViews (Avg.)"` → `viewsavg`, `Category-1` → `category1`.
pub fn header_key(h: &str) -> String {
    h.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The role an alias names outright, with the alias's rank (earlier aliases win).
pub fn alias_rank(key: &str) -> Option<(Role, usize)> {
    ALIASES.iter().position(|(a, _)| *a == key).map(|i| (ALIASES[i].1, i))
}
